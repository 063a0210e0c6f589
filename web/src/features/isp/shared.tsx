import { useCallback, useRef } from 'react';
import { Space, Typography } from 'antd';
import type { Schemas } from '../../api/client';
import { common } from '../../i18n/messages';
import { useFormat, useMessages } from '../../i18n/i18n';
import { isp } from './messages';
import { ToneTag, type Tone } from '../../ui/ToneTag';

export type AssignmentStatus = Schemas['AssignmentResponse']['status'];
export type Mechanism = NonNullable<Schemas['CreateConfirmation']['mechanism']>;

export const ASSIGNMENT_STATUSES: AssignmentStatus[] = [
  'pending',
  'acknowledged',
  'applied',
  'partially_applied',
  'rejected',
  'withdrawn',
];
export const MECHANISMS: Mechanism[] = ['rpz', 'acl', 'rtbh', 'proxy', 'other'];
export const OPEN: AssignmentStatus[] = ['pending', 'acknowledged'];

/** A UUID for an Idempotency-Key; crypto.randomUUID needs a secure context, hence the fallback. */
function uuid(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * Idempotency-Keys per user action (docs/decisions/0011-idempotency-keys.md): `keyFor(action)`
 * gives a new key the first time an action (its path and body) is sent, and the same key while it
 * is retried after a failure; `settled(action)` forgets it once the action succeeded, so that
 * doing the same again later is a new operation. A changed body is another action (another key):
 * the service refuses a key reused with a different request.
 */
export function useIdempotencyKeys() {
  const keys = useRef(new Map<string, string>());
  const keyFor = useCallback((action: string): string => {
    let key = keys.current.get(action);
    if (!key) {
      key = uuid();
      keys.current.set(action, key);
    }
    return key;
  }, []);
  const settled = useCallback((action: string) => keys.current.delete(action), []);
  return { keyFor, settled };
}

/** Links in the ISP screens: the theme's primary colour (antd's default link blue is below AA). */
export const LINK_STYLE = { color: '#0b5cad' } as const;

const STATUS_TONE: Record<AssignmentStatus, Tone> = {
  pending: 'warning',
  acknowledged: 'info',
  applied: 'success',
  partially_applied: 'teal',
  rejected: 'danger',
  withdrawn: 'neutral',
};

export function AssignmentStatusTag({ status }: { status: AssignmentStatus }) {
  const c = useMessages(common);
  return <ToneTag tone={STATUS_TONE[status]}>{c(`assignment_${status}`)}</ToneTag>;
}

/** The deadline, with the time left while open, or a red "overdue" tag. */
export function Deadline({
  deadlineAt,
  overdue,
  status,
}: {
  deadlineAt: string;
  overdue: boolean;
  status: AssignmentStatus;
}) {
  const t = useMessages(isp);
  const f = useFormat();
  const left = Math.floor((new Date(deadlineAt).getTime() - Date.now()) / 60_000) * 60;
  return (
    <Space size={4} wrap>
      <span>{f.dateTime(deadlineAt)}</span>
      {overdue ? (
        <ToneTag tone="danger">{t('overdue')}</ToneTag>
      ) : OPEN.includes(status) && left > 0 ? (
        <Typography.Text type="secondary">
          {t('timeLeft', { time: f.duration(left) })}
        </Typography.Text>
      ) : null}
    </Space>
  );
}

/** A Date as the value of an <input type="datetime-local" step="1"> (local time, to the second). */
export function toLocalInput(date: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())}T${p(
    date.getHours(),
  )}:${p(date.getMinutes())}:${p(date.getSeconds())}`;
}

/** The ISO instant of a datetime-local value (read in the browser's zone), or undefined. */
export function fromLocalInput(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

export { ToneTag, type Tone } from '../../ui/ToneTag';
