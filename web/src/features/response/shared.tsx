import { type ReactNode } from 'react';
import { Space, Typography } from 'antd';
import { apiUrl, type Schemas } from '../../api/client';
import { ProblemError, type Problem } from '../../api/problem';
import { refreshSession, sessionState } from '../../api/session';
import { useFormat, useMessages } from '../../i18n/i18n';
import { ToneTag, type Tone } from '../../ui/ToneTag';
import { response } from './messages';

export * from './roles';

export type CaseStatus = Schemas['CaseResponse']['status'];
export type IncidentStatus = Schemas['IncidentResponse']['status'];
export type IncidentCategory = Schemas['IncidentResponse']['category'];
export type Severity = Schemas['IncidentResponse']['severity'];
export type UnitCategory = Schemas['UnitResponse']['category'];
export type RemediationKind = Schemas['RemediationAction']['kind'];
export type MailStatus = Schemas['MailInboxResponse']['status'];

export const CASE_STATUSES: CaseStatus[] = ['open', 'acknowledged', 'remediated', 'closed'];
export const INCIDENT_STATUSES: IncidentStatus[] = [
  'new',
  'triaged',
  'awaiting_information',
  'resolved',
  'closed',
];
export const INCIDENT_CATEGORIES: IncidentCategory[] = [
  'malware',
  'botnet',
  'phishing',
  'ddos',
  'intrusion',
  'defacement',
  'data_leak',
  'vulnerability',
  'spam',
  'other',
];
export const SEVERITIES: Severity[] = ['low', 'medium', 'high', 'critical'];
export const UNIT_CATEGORIES: UnitCategory[] = ['commune', 'office', 'agency'];
export const REMEDIATION_KINDS: RemediationKind[] = [
  'cleaned',
  'patched',
  'reimaged',
  'isolated',
  'credentials_reset',
  'other',
];
export const OPEN_INCIDENT: IncidentStatus[] = ['new', 'triaged', 'awaiting_information'];

export const HEADING_STYLE = { margin: 0, fontSize: 18 } as const;

const CASE_TONE: Record<CaseStatus, Tone> = {
  open: 'danger',
  acknowledged: 'warning',
  remediated: 'info',
  closed: 'success',
};
const INCIDENT_TONE: Record<IncidentStatus, Tone> = {
  new: 'danger',
  triaged: 'info',
  awaiting_information: 'warning',
  resolved: 'success',
  closed: 'neutral',
};
const SEVERITY_TONE: Record<Severity, Tone> = {
  low: 'neutral',
  medium: 'warning',
  high: 'caution',
  critical: 'danger',
};
const MAIL_TONE: Record<MailStatus, Tone> = {
  accepted: 'success',
  quarantined: 'warning',
  released: 'info',
  rejected: 'neutral',
};

export function CaseStatusTag({ status }: { status: CaseStatus }) {
  const t = useMessages(response);
  return <ToneTag tone={CASE_TONE[status]}>{t(`case_${status}`)}</ToneTag>;
}

export function IncidentStatusTag({ status }: { status: IncidentStatus }) {
  const t = useMessages(response);
  return <ToneTag tone={INCIDENT_TONE[status]}>{t(`incident_${status}`)}</ToneTag>;
}

export function SeverityTag({ severity }: { severity: Severity }) {
  const t = useMessages(response);
  return <ToneTag tone={SEVERITY_TONE[severity]}>{t(`severity_${severity}`)}</ToneTag>;
}

export function MailStatusTag({ status }: { status: MailStatus }) {
  const t = useMessages(response);
  return <ToneTag tone={MAIL_TONE[status]}>{t(`mail_${status}`)}</ToneTag>;
}

/** A deadline with the time left, or a red "overdue" tag. */
export function DueAt({ at, overdue, open }: { at: string; overdue: boolean; open: boolean }) {
  const t = useMessages(response);
  const f = useFormat();
  const left = Math.floor((new Date(at).getTime() - Date.now()) / 60_000) * 60;
  return (
    <Space size={4} wrap>
      <span>{f.dateTime(at)}</span>
      {overdue ? (
        <ToneTag tone="danger">{t('overdue')}</ToneTag>
      ) : open && left > 0 ? (
        <Typography.Text type="secondary">
          {t('timeLeft', { time: f.duration(left) })}
        </Typography.Text>
      ) : null}
    </Space>
  );
}

/** Non-empty trimmed lines of a textarea, without repeats. */
export function linesOf(text: string | undefined): string[] {
  return [
    ...new Set(
      (text ?? '')
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter((l) => l.length > 0),
    ),
  ];
}

/**
 * POST of a file as the request's body (the API's streamed uploads: an incident attachment, a
 * units CSV), with the session's token; a 401 renews the session once. Throws the API's problem.
 */
export async function postFile<T>(url: string, body: Blob, contentType: string): Promise<T> {
  const send = () =>
    fetch(url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${sessionState().accessToken ?? ''}`,
        'content-type': contentType,
      },
      body,
    });
  let answer = await send();
  if (answer.status === 401 && (await refreshSession())) answer = await send();
  const text = await answer.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    parsed = { detail: text };
  }
  if (!answer.ok) {
    throw new ProblemError(answer.status, { status: answer.status, ...(parsed as Problem) });
  }
  return parsed as T;
}

/** The URL of a path with `{name}` parameters filled in (encoded). */
export function pathWith(template: string, params: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent(params[name]));
}

/** The incident attachment upload's URL (typed against the OpenAPI document). */
export function attachmentUploadUrl(id: string, filename: string): string {
  return pathWith(apiUrl('/api/v1/incidents/{id}/attachments', { filename }, 'post'), { id });
}

/** A labelled section heading inside a Card. */
export function CardTitle({ children }: { children: ReactNode }) {
  return <h2 style={HEADING_STYLE}>{children}</h2>;
}
