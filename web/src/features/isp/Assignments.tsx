import { useMemo, useState } from 'react';
import { Link } from 'react-router';
import { useQueries, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  Alert,
  Button,
  Flex,
  Form,
  Input,
  Modal,
  Radio,
  Select,
  Space,
  Table,
  Typography,
} from 'antd';
import { api, call, type Schemas } from '../../api/client';
import { common } from '../../i18n/messages';
import { useFormat, useMessages } from '../../i18n/i18n';
import { Page } from '../../ui/Page';
import { Pager } from '../../ui/Pager';
import { ProblemAlert } from '../../ui/ProblemAlert';
import { QueryState } from '../../ui/QueryState';
import { useCursorPages } from '../../ui/cursor';
import { isp } from './messages';
import {
  ASSIGNMENT_STATUSES,
  AssignmentStatusTag,
  Deadline,
  MECHANISMS,
  OPEN,
  fromLocalInput,
  toLocalInput,
  type AssignmentStatus,
  type Mechanism,
} from './shared';
import { LINK_STYLE } from '../../ui/links';
import { useIdempotencyKeys } from '../../ui/idempotency';

type Assignment = Schemas['AssignmentResponse'];
type Overdue = 'all' | 'yes' | 'no';

interface BulkOutcome {
  kind: 'acknowledgedN' | 'confirmedN';
  done: number;
  failed: { doc: string; error: unknown }[];
}

/**
 * The ISP's assignments: what it must apply and by when. Acknowledge or confirm several at
 * once: each selected assignment gets its own call (a feed receipt would confirm everything a
 * deployed feed version covers, but it states the version and format a system deployed — a
 * machine's statement, sent by the ISP agent — so a person confirms assignments one by one).
 */
export default function Assignments() {
  const t = useMessages(isp);
  const c = useMessages(common);
  const f = useFormat();
  const client = useQueryClient();
  const keys = useIdempotencyKeys();
  const [status, setStatus] = useState<AssignmentStatus[]>([]);
  const [overdue, setOverdue] = useState<Overdue>('all');
  const [selected, setSelected] = useState<Assignment[]>([]);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<BulkOutcome>();
  const [confirming, setConfirming] = useState(false);
  const pages = useCursorPages();

  const query = useQuery({
    queryKey: ['assignments', status, overdue, pages.cursor],
    queryFn: () =>
      call(() =>
        api.GET('/api/v1/assignments', {
          params: {
            query: {
              limit: 50,
              cursor: pages.cursor,
              status: status.length > 0 ? status : undefined,
              overdue: overdue === 'all' ? undefined : overdue === 'yes',
            },
          },
        }),
      ),
  });

  // Severity and item count are the request's: one read per request on the page (cached).
  const requestIds = useMemo(
    () => [...new Set((query.data?.items ?? []).map((a) => a.requestId))],
    [query.data],
  );
  const requests = useQueries({
    queries: requestIds.map((id) => ({
      queryKey: ['blocking-request', id],
      queryFn: () =>
        call(() => api.GET('/api/v1/blocking-requests/{id}', { params: { path: { id } } })),
      staleTime: 60_000,
    })),
  });
  const requestOf = new Map(
    requests.flatMap((r) => (r.data ? [[r.data.id, r.data] as const] : [])),
  );

  const pendingSelected = selected.filter((a) => a.status === 'pending');
  const openSelected = selected.filter((a) => OPEN.includes(a.status));

  /** Runs `send` for each assignment, one after another; keeps the failures to show. */
  async function runBulk(
    kind: BulkOutcome['kind'],
    targets: Assignment[],
    send: (a: Assignment) => Promise<unknown>,
  ) {
    setBusy(true);
    setOutcome(undefined);
    const failed: BulkOutcome['failed'] = [];
    let done = 0;
    for (const a of targets) {
      try {
        await send(a);
        done += 1;
      } catch (error) {
        failed.push({ doc: a.documentNumber, error });
      }
    }
    setOutcome({ kind, done, failed });
    setSelected([]);
    setBusy(false);
    await client.invalidateQueries({ queryKey: ['assignments'] });
    await client.invalidateQueries({ queryKey: ['assignment'] });
  }

  const acknowledge = () =>
    runBulk('acknowledgedN', pendingSelected, async (a) => {
      const action = `acknowledge:${a.id}`;
      await call(() =>
        api.POST('/api/v1/assignments/{id}/acknowledge', {
          params: { path: { id: a.id }, header: { 'Idempotency-Key': keys.keyFor(action) } },
        }),
      );
      keys.settled(action);
    });

  const confirmAll = (values: { appliedAt: string; mechanism: Mechanism; evidence?: string }) => {
    setConfirming(false);
    const appliedAt = fromLocalInput(values.appliedAt) ?? new Date().toISOString();
    return runBulk('confirmedN', openSelected, async (a) => {
      const body = {
        status: 'applied' as const,
        appliedAt,
        mechanism: values.mechanism,
        evidence: values.evidence?.trim() || undefined,
      };
      const action = `confirm:${a.id}:${JSON.stringify(body)}`;
      await call(() =>
        api.POST('/api/v1/assignments/{id}/confirmations', {
          params: { path: { id: a.id }, header: { 'Idempotency-Key': keys.keyFor(action) } },
          body,
        }),
      );
      keys.settled(action);
    });
  };

  const columns = [
    {
      title: t('documentNumber'),
      key: 'documentNumber',
      render: (_: unknown, a: Assignment) => (
        <Link to={`/assignments/${a.id}`} style={LINK_STYLE}>
          {a.documentNumber}
        </Link>
      ),
    },
    { title: t('title'), dataIndex: 'title', key: 'title' },
    {
      title: t('severity'),
      key: 'severity',
      render: (_: unknown, a: Assignment) => {
        const r = requestOf.get(a.requestId);
        return r ? c(`severity_${r.severity}`) : '…';
      },
    },
    {
      title: t('status'),
      key: 'status',
      render: (_: unknown, a: Assignment) => <AssignmentStatusTag status={a.status} />,
    },
    {
      title: t('deadline'),
      key: 'deadline',
      render: (_: unknown, a: Assignment) => (
        <Deadline deadlineAt={a.deadlineAt} overdue={a.overdue} status={a.status} />
      ),
    },
    {
      title: t('items'),
      key: 'items',
      align: 'right' as const,
      render: (_: unknown, a: Assignment) => f.number(requestOf.get(a.requestId)?.itemCount),
    },
  ];

  return (
    <Page title={t('assignmentsTitle')}>
      <Form layout="inline" style={{ marginBottom: 16, rowGap: 8 }}>
        <Form.Item label={t('filterStatus')} htmlFor="assignment-status">
          <Select
            id="assignment-status"
            mode="multiple"
            allowClear
            style={{ minWidth: 260 }}
            value={status}
            onChange={(v: AssignmentStatus[]) => {
              setStatus(v);
              pages.reset();
            }}
            options={ASSIGNMENT_STATUSES.map((s) => ({ value: s, label: c(`assignment_${s}`) }))}
          />
        </Form.Item>
        <Form.Item label={t('filterOverdue')}>
          <Radio.Group
            aria-label={t('filterOverdue')}
            value={overdue}
            onChange={(e) => {
              setOverdue(e.target.value as Overdue);
              pages.reset();
            }}
            optionType="button"
            options={[
              { value: 'all', label: t('overdueAll') },
              { value: 'yes', label: t('overdueOnly') },
              { value: 'no', label: t('overdueNot') },
            ]}
          />
        </Form.Item>
      </Form>

      <Flex gap="small" wrap align="center" style={{ marginBottom: 12 }}>
        <Button disabled={pendingSelected.length === 0 || busy} onClick={() => void acknowledge()}>
          {t('acknowledgeSelected', { n: pendingSelected.length })}
        </Button>
        <Button
          type="primary"
          disabled={openSelected.length === 0 || busy}
          loading={busy}
          onClick={() => setConfirming(true)}
        >
          {t('confirmSelected', { n: openSelected.length })}
        </Button>
        <Typography.Text type="secondary">{t('bulkHint')}</Typography.Text>
      </Flex>

      {outcome ? (
        <Space direction="vertical" style={{ width: '100%', marginBottom: 12 }}>
          {outcome.done > 0 ? (
            <Alert
              type="success"
              role="status"
              showIcon
              title={t(outcome.kind, { n: outcome.done })}
            />
          ) : null}
          {outcome.failed.length > 0 ? (
            <>
              <Alert
                type="warning"
                showIcon
                title={t('failedN', {
                  n: outcome.failed.length,
                  docs: outcome.failed.map((x) => x.doc).join(', '),
                })}
              />
              <ProblemAlert error={outcome.failed[0].error} />
            </>
          ) : null}
        </Space>
      ) : null}

      <QueryState query={query}>
        {(data) => (
          <>
            <Table<Assignment>
              aria-label={t('assignmentsCaption')}
              rowKey="id"
              columns={columns}
              dataSource={data.items}
              pagination={false}
              onRow={(a) => (a.overdue ? { style: { background: '#fff1f0' } } : {})}
              rowSelection={{
                selectedRowKeys: selected.map((a) => a.id),
                onChange: (_keys, rows) => setSelected(rows),
                getCheckboxProps: (a) => ({
                  'aria-label': t('selectRow', { doc: a.documentNumber }),
                }),
              }}
            />
            <Pager pages={pages} nextCursor={data.nextCursor} />
          </>
        )}
      </QueryState>

      <BulkConfirmDialog
        open={confirming}
        count={openSelected.length}
        onCancel={() => setConfirming(false)}
        onSubmit={(v) => void confirmAll(v)}
      />
    </Page>
  );
}

function BulkConfirmDialog({
  open,
  count,
  onCancel,
  onSubmit,
}: {
  open: boolean;
  count: number;
  onCancel: () => void;
  onSubmit: (values: { appliedAt: string; mechanism: Mechanism; evidence?: string }) => void;
}) {
  const t = useMessages(isp);
  const c = useMessages(common);
  const [form] = Form.useForm<{ appliedAt: string; mechanism: Mechanism; evidence?: string }>();
  return (
    <Modal
      open={open}
      title={t('bulkConfirmTitle')}
      onCancel={onCancel}
      okText={t('confirmSelected', { n: count })}
      cancelText={c('cancel')}
      onOk={() => void form.validateFields().then(onSubmit)}
      destroyOnHidden
    >
      <Typography.Paragraph>{t('bulkConfirmLead')}</Typography.Paragraph>
      <Form
        form={form}
        layout="vertical"
        preserve={false}
        initialValues={{ appliedAt: toLocalInput(new Date()) }}
      >
        <Form.Item
          name="appliedAt"
          label={t('appliedAt')}
          extra={t('appliedAtHelp')}
          rules={[{ required: true, message: t('appliedAtInvalid') }]}
        >
          <Input type="datetime-local" step={1} />
        </Form.Item>
        <Form.Item
          name="mechanism"
          label={t('mechanism')}
          rules={[{ required: true, message: t('mechanismRequired') }]}
        >
          <Radio.Group
            options={MECHANISMS.map((m) => ({ value: m, label: t(`mechanism_${m}`) }))}
          />
        </Form.Item>
        <Form.Item name="evidence" label={t('evidence')}>
          <Input maxLength={2000} />
        </Form.Item>
      </Form>
    </Modal>
  );
}
