import type { ReactNode } from 'react';
import { ToneTag, type Tone } from '../../ui/ToneTag';
import { Empty, Table, type TableProps } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api, call, type Schemas } from '../../api/client';
import { hasAnyRole, useSession } from '../../auth/useSession';
import { useFormat, useMessages } from '../../i18n/i18n';
import { common } from '../../i18n/messages';
import { requests } from './messages';

export type RequestStatus = Schemas['BlockingRequestResponse']['status'];
export type Severity = Schemas['BlockingRequestResponse']['severity'];
export type Category = Schemas['BlockingRequestResponse']['category'];

export const STATUSES: RequestStatus[] = [
  'draft',
  'pending_approval',
  'published',
  'completed',
  'withdrawn',
];
export const SEVERITIES: Severity[] = ['low', 'medium', 'high', 'critical'];
export const CATEGORIES: Category[] = [
  'malware',
  'botnet',
  'phishing',
  'fraud',
  'gambling',
  'illegal_content',
  'other',
];

const STATUS_TONE: Record<RequestStatus, Tone> = {
  draft: 'neutral',
  pending_approval: 'warning',
  published: 'info',
  completed: 'success',
  withdrawn: 'neutral',
};

const SEVERITY_TONE: Record<Severity, Tone> = {
  low: 'neutral',
  medium: 'warning',
  high: 'caution',
  critical: 'danger',
};

export function StatusTag({ status }: { status: RequestStatus }) {
  const c = useMessages(common);
  return <ToneTag tone={STATUS_TONE[status]}>{c(`status_${status}`)}</ToneTag>;
}

export function SeverityTag({ severity }: { severity: Severity }) {
  const c = useMessages(common);
  return <ToneTag tone={SEVERITY_TONE[severity]}>{c(`severity_${severity}`)}</ToneTag>;
}

/** The organizations' names by id (one page of 200: the province has a few dozen ISPs). */
export function useOrganizationNames(): Map<string, Schemas['OrganizationResponse']> {
  const query = useQuery({
    queryKey: ['organizations', 'names'],
    queryFn: () =>
      call(() => api.GET('/api/v1/organizations', { params: { query: { limit: 200 } } })),
    staleTime: 5 * 60_000,
  });
  return new Map((query.data?.items ?? []).map((o) => [o.id, o]));
}

/**
 * A person named by id: "You" for the signed-in person; their name for the roles that may read
 * users (admin, auditor); otherwise a short form of the id (the API gives approvers and analysts
 * no user names).
 */
export function ActorName({ id }: { id: string | null | undefined }) {
  const t = useMessages(requests);
  const session = useSession();
  const mayRead = hasAnyRole(session, ['admin', 'auditor']);
  const self = !!id && id === session.claims?.sub;
  const query = useQuery({
    queryKey: ['users', id],
    queryFn: () =>
      call(() => api.GET('/api/v1/users/{id}', { params: { path: { id: id ?? '' } } })),
    enabled: !!id && mayRead && !self,
    staleTime: 5 * 60_000,
    retry: false,
  });
  if (!id) return <>—</>;
  if (self) return <>{t('you')}</>;
  if (query.data) return <>{query.data.name}</>;
  return <span title={id}>{t('userShort', { id: id.slice(0, 8) })}</span>;
}

/** The deadline a request has or will have. */
export function useDeadlineText(): (r: Schemas['BlockingRequestResponse']) => string {
  const t = useMessages(requests);
  const f = useFormat();
  return (r) =>
    r.deadlineAt ? f.dateTime(r.deadlineAt) : t('deadlineHours', { hours: r.deadlineHours });
}

/** An empty state whose words are dark enough to read (antd's grey fails WCAG AA contrast). */
export function EmptyState({ text }: { text: string }) {
  return (
    <Empty
      image={Empty.PRESENTED_IMAGE_SIMPLE}
      description={<span style={{ color: 'rgba(0, 0, 0, 0.72)' }}>{text}</span>}
    />
  );
}

/** The screens' tables (antd's Table; its scrollbar measurement gets the CSP nonce: csp-nonce.ts). */
export function DataTable<T extends object>(props: TableProps<T>) {
  return <Table<T> {...props} />;
}

/**
 * A link to a request, in the theme's primary blue: antd colours plain links with its default
 * info blue (#1677ff), 4.1:1 on white, under WCAG AA's 4.5:1.
 */
export function RequestLink({ id, children }: { id: string; children: ReactNode }) {
  return (
    <Link
      to={`/requests/${id}`}
      style={{ color: '#0b5cad', textDecoration: 'underline', whiteSpace: 'nowrap' }}
    >
      {children}
    </Link>
  );
}

export { ToneTag, type Tone } from '../../ui/ToneTag';
