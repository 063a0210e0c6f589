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
