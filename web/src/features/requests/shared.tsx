import { Tag } from 'antd';
import { useQuery } from '@tanstack/react-query';
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

const STATUS_COLOR: Record<RequestStatus, string> = {
  draft: 'default',
  pending_approval: 'gold',
  published: 'blue',
  completed: 'green',
  withdrawn: 'default',
};

const SEVERITY_COLOR: Record<Severity, string> = {
  low: 'default',
  medium: 'gold',
  high: 'orange',
  critical: 'red',
};

export function StatusTag({ status }: { status: RequestStatus }) {
  const c = useMessages(common);
  return <Tag color={STATUS_COLOR[status]}>{c(`status_${status}`)}</Tag>;
}

export function SeverityTag({ severity }: { severity: Severity }) {
  const c = useMessages(common);
  return <Tag color={SEVERITY_COLOR[severity]}>{c(`severity_${severity}`)}</Tag>;
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
