import { useRef, useState } from 'react';
import { Link, useParams } from 'react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  Alert,
  Button,
  Card,
  Descriptions,
  Flex,
  Form,
  Input,
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
import { ProblemAlert } from '../../ui/ProblemAlert';
import { QueryState } from '../../ui/QueryState';
import { isp } from './messages';
import {
  AssignmentStatusTag,
  Deadline,
  MECHANISMS,
  ToneTag,
  fromLocalInput,
  toLocalInput,
  type Mechanism,
  type Tone,
} from './shared';
import { LINK_STYLE } from '../../ui/links';
import { useIdempotencyKeys } from '../../ui/idempotency';

type Detail = Schemas['AssignmentDetail'];
type Item = Schemas['AssignmentItemResponse'];
type Confirmation = Schemas['ConfirmationResponse'];
type ConfirmStatus = Schemas['CreateConfirmation']['status'];
type Outcome = Schemas['ConfirmationItemInput']['outcome'];
const OUTCOMES: Outcome[] = ['applied', 'failed', 'not_applicable'];
const OUTCOME_TONE: Record<Outcome, Tone> = {
  applied: 'success',
  failed: 'danger',
  not_applicable: 'neutral',
};

/** One assignment: its request, acknowledge, confirm (all items or item by item), history. */
export default function AssignmentDetail() {
  const { id = '' } = useParams();
  const t = useMessages(isp);
  const query = useQuery({
    queryKey: ['assignment', id],
    queryFn: () => call(() => api.GET('/api/v1/assignments/{id}', { params: { path: { id } } })),
  });
  return (
    <Page
      title={query.data?.documentNumber ?? t('assignmentsTitle')}
      extra={
        <Link to="/assignments" style={LINK_STYLE}>
          {t('back')}
        </Link>
      }
    >
      <QueryState query={query}>{(detail) => <DetailView detail={detail} />}</QueryState>
    </Page>
  );
}

function DetailView({ detail }: { detail: Detail }) {
  const t = useMessages(isp);
  const c = useMessages(common);
  const f = useFormat();
  const client = useQueryClient();
  const keys = useIdempotencyKeys();
  const severity = useQuery({
    queryKey: ['blocking-request', detail.requestId],
    queryFn: () =>
      call(() =>
        api.GET('/api/v1/blocking-requests/{id}', { params: { path: { id: detail.requestId } } }),
      ),
    staleTime: 60_000,
  });

  const acknowledge = useMutation({
    mutationFn: async () => {
      const action = `acknowledge:${detail.id}`;
      const answer = await call(() =>
        api.POST('/api/v1/assignments/{id}/acknowledge', {
          params: {
            path: { id: detail.id },
            header: { 'Idempotency-Key': keys.keyFor(action) },
          },
        }),
      );
      keys.settled(action);
      return answer;
    },
    onSuccess: () => refresh(),
  });

  const refresh = async () => {
    await client.invalidateQueries({ queryKey: ['assignment', detail.id] });
    await client.invalidateQueries({ queryKey: ['assignments'] });
  };

  const r = detail.request;
  return (
    <Space direction="vertical" size="large" style={{ width: '100%' }}>
      <Card title={<h2 style={headingStyle}>{t('requestSection')}</h2>}>
        <Descriptions
          column={{ xs: 1, md: 2 }}
          size="small"
          styles={{ label: { color: 'rgba(0, 0, 0, 0.72)' } }}
        >
          <Descriptions.Item label={t('title')}>{detail.title}</Descriptions.Item>
          <Descriptions.Item label={t('status')}>
            <AssignmentStatusTag status={detail.status} />
          </Descriptions.Item>
          <Descriptions.Item label={t('deadline')}>
            <Deadline
              deadlineAt={detail.deadlineAt}
              overdue={detail.overdue}
              status={detail.status}
            />
          </Descriptions.Item>
          <Descriptions.Item label={t('severity')}>
            {severity.data ? c(`severity_${severity.data.severity}`) : '—'}
          </Descriptions.Item>
          <Descriptions.Item label={t('publishedAt')}>
            {f.dateTime(r.publishedAt)}
          </Descriptions.Item>
          <Descriptions.Item label={t('items')}>{f.number(r.itemCount)}</Descriptions.Item>
          <Descriptions.Item label={t('legalBasis')}>{r.legalBasis ?? '—'}</Descriptions.Item>
          <Descriptions.Item label={t('feedVersion')}>
            {f.number(detail.feedVersion)}
          </Descriptions.Item>
          <Descriptions.Item label={t('acknowledgedAt')}>
            {f.dateTime(detail.acknowledgedAt)}
          </Descriptions.Item>
          <Descriptions.Item label={t('appliedAtShown')}>
            {f.dateTime(detail.appliedAt)}
          </Descriptions.Item>
        </Descriptions>
        {detail.status === 'pending' ? (
          <Button
            type="primary"
            style={{ marginTop: 12 }}
            loading={acknowledge.isPending}
            onClick={() => acknowledge.mutate()}
          >
            {t('acknowledge')}
          </Button>
        ) : null}
        {acknowledge.isSuccess ? (
          <Alert
            style={{ marginTop: 12 }}
            type="success"
            role="status"
            showIcon
            title={t('acknowledged')}
          />
        ) : null}
        {acknowledge.isError ? (
          <div style={{ marginTop: 12 }}>
            <ProblemAlert error={acknowledge.error} onRetry={() => acknowledge.mutate()} />
          </div>
        ) : null}
      </Card>

      {detail.status === 'withdrawn' ? (
        <Alert type="info" showIcon title={t('withdrawnNote')} />
      ) : (
        <ConfirmForm detail={detail} keys={keys} onDone={refresh} />
      )}

      <History detail={detail} />
    </Space>
  );
}

const headingStyle = { fontSize: 18, margin: 0 } as const;

interface ConfirmValues {
  status: ConfirmStatus;
  scope: 'all' | 'perItem';
  appliedAt: string;
  mechanism?: Mechanism;
  evidence?: string;
  reason?: string;
}

function ConfirmForm({
  detail,
  keys,
  onDone,
}: {
  detail: Detail;
  keys: ReturnType<typeof useIdempotencyKeys>;
  onDone: () => Promise<void>;
}) {
  const t = useMessages(isp);
  const c = useMessages(common);
  const [form] = Form.useForm<ConfirmValues>();
  const initialAppliedAt = useRef(toLocalInput(new Date()));
  const status = Form.useWatch('status', form) ?? 'applied';
  const scope = Form.useWatch('scope', form) ?? 'all';
  const [outcomes, setOutcomes] = useState<Map<string, { outcome: Outcome; reason: string }>>(
    () => new Map(),
  );
  const [itemError, setItemError] = useState<string>();
  const closed = !['pending', 'acknowledged'].includes(detail.status);

  const confirm = useMutation({
    mutationFn: async (body: Schemas['CreateConfirmation']) => {
      const action = `confirm:${detail.id}:${JSON.stringify(body)}`;
      const answer = await call(() =>
        api.POST('/api/v1/assignments/{id}/confirmations', {
          params: {
            path: { id: detail.id },
            header: { 'Idempotency-Key': keys.keyFor(action) },
          },
          body,
        }),
      );
      keys.settled(action);
      return answer;
    },
    onSuccess: async () => {
      setOutcomes(new Map());
      initialAppliedAt.current = toLocalInput(new Date());
      form.setFieldsValue({ appliedAt: initialAppliedAt.current, reason: undefined });
      await onDone();
    },
  });

  const outcomeOf = (item: Item) =>
    outcomes.get(item.indicatorId) ?? { outcome: 'applied' as Outcome, reason: '' };
  const setOutcome = (item: Item, change: Partial<{ outcome: Outcome; reason: string }>) =>
    setOutcomes((m) => new Map(m).set(item.indicatorId, { ...outcomeOf(item), ...change }));

  const submit = (values: ConfirmValues) => {
    setItemError(undefined);
    let items: Schemas['ConfirmationItemInput'][] | undefined;
    if (values.scope === 'perItem') {
      items = detail.items.map((item) => {
        const o = outcomeOf(item);
        return o.outcome === 'applied'
          ? { indicatorId: item.indicatorId, outcome: 'applied' }
          : { indicatorId: item.indicatorId, outcome: o.outcome, reason: o.reason.trim() };
      });
      const missing = detail.items.find((item) => {
        const o = outcomeOf(item);
        return o.outcome !== 'applied' && !o.reason.trim();
      });
      if (missing) {
        setItemError(t('itemReasonRequired', { value: missing.value }));
        return;
      }
    }
    const rejected = values.status === 'rejected';
    // Untouched, the time is the moment of sending ("now"), not the moment the page opened.
    const appliedAt =
      values.appliedAt === initialAppliedAt.current
        ? new Date().toISOString()
        : fromLocalInput(values.appliedAt);
    confirm.mutate({
      status: values.status,
      reason: values.reason?.trim() || undefined,
      appliedAt: rejected ? undefined : appliedAt,
      mechanism: rejected ? undefined : values.mechanism,
      evidence: values.evidence?.trim() || undefined,
      items,
    });
  };

  const itemColumns = [
    {
      title: t('value'),
      key: 'value',
      render: (_: unknown, item: Item) => (
        <Typography.Text code style={{ wordBreak: 'break-all' }}>
          {item.value}
        </Typography.Text>
      ),
    },
    {
      title: t('type'),
      key: 'type',
      render: (_: unknown, item: Item) => c(`type_${item.type}`),
    },
    {
      title: t('operation'),
      key: 'operation',
      render: (_: unknown, item: Item) => t(`operation_${item.operation}`),
    },
    {
      title: t('latestOutcome'),
      key: 'latest',
      render: (_: unknown, item: Item) =>
        item.outcome ? (
          <Space direction="vertical" size={0}>
            <ToneTag tone={OUTCOME_TONE[item.outcome]}>{t(`outcome_${item.outcome}`)}</ToneTag>
            {item.outcomeReason ? (
              <Typography.Text type="secondary">{item.outcomeReason}</Typography.Text>
            ) : null}
          </Space>
        ) : (
          <Typography.Text type="secondary">{t('noOutcome')}</Typography.Text>
        ),
    },
    ...(scope === 'perItem'
      ? [
          {
            title: t('newOutcome'),
            key: 'new',
            render: (_: unknown, item: Item) => {
              const o = outcomeOf(item);
              return (
                <Space direction="vertical" size={4} style={{ minWidth: 200 }}>
                  <Select<Outcome>
                    aria-label={t('outcomeFor', { value: item.value })}
                    value={o.outcome}
                    onChange={(outcome) => setOutcome(item, { outcome })}
                    options={OUTCOMES.map((x) => ({ value: x, label: t(`outcome_${x}`) }))}
                    style={{ width: '100%' }}
                  />
                  {o.outcome !== 'applied' ? (
                    <Input
                      aria-label={t('reasonFor', { value: item.value })}
                      placeholder={t('reason')}
                      value={o.reason}
                      maxLength={2000}
                      onChange={(e) => setOutcome(item, { reason: e.target.value })}
                    />
                  ) : null}
                </Space>
              );
            },
          },
        ]
      : []),
  ];

  return (
    <Card title={<h2 style={headingStyle}>{t('confirmSection')}</h2>}>
      {closed ? (
        <Typography.Paragraph type="secondary">{t('confirmClosedNote')}</Typography.Paragraph>
      ) : null}
      <Form<ConfirmValues>
        form={form}
        layout="vertical"
        initialValues={{ status: 'applied', scope: 'all', appliedAt: initialAppliedAt.current }}
        onFinish={submit}
      >
        <Flex gap="large" wrap>
          <Form.Item name="status" label={t('confirmStatus')}>
            <Radio.Group
              options={(['applied', 'partially_applied', 'rejected'] as const).map((s) => ({
                value: s,
                label: c(`assignment_${s}`),
              }))}
            />
          </Form.Item>
          <Form.Item name="scope" label={t('confirmScope')}>
            <Radio.Group
              options={[
                { value: 'all', label: t('scopeAll') },
                { value: 'perItem', label: t('scopePerItem') },
              ]}
            />
          </Form.Item>
        </Flex>
        {status !== 'rejected' ? (
          <Flex gap="large" wrap>
            <Form.Item
              name="appliedAt"
              label={t('appliedAt')}
              extra={t('appliedAtHelp')}
              rules={[
                {
                  validator: (_r, v: string | undefined) =>
                    fromLocalInput(v)
                      ? Promise.resolve()
                      : Promise.reject(new Error(t('appliedAtInvalid'))),
                },
              ]}
            >
              <Input type="datetime-local" step={1} style={{ width: 240 }} />
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
          </Flex>
        ) : null}
        <Form.Item name="evidence" label={t('evidence')}>
          <Input maxLength={2000} />
        </Form.Item>
        <Form.Item
          name="reason"
          label={t('reason')}
          rules={[
            {
              required: status !== 'applied',
              whitespace: true,
              message: t('reasonRequired'),
            },
          ]}
        >
          <Input.TextArea rows={2} maxLength={2000} />
        </Form.Item>

        <Typography.Title level={3} style={{ fontSize: 16 }}>
          {t('itemsSection')}
        </Typography.Title>
        <Table<Item>
          aria-label={t('itemsCaption')}
          rowKey="indicatorId"
          size="small"
          columns={itemColumns}
          dataSource={detail.items}
          pagination={{ pageSize: 50, hideOnSinglePage: true, showSizeChanger: false }}
        />

        {itemError ? (
          <Alert type="error" role="alert" showIcon title={itemError} style={{ marginTop: 12 }} />
        ) : null}
        {confirm.isError ? (
          <div style={{ marginTop: 12 }}>
            <ProblemAlert error={confirm.error} />
          </div>
        ) : null}
        {confirm.isSuccess ? (
          <Alert
            style={{ marginTop: 12 }}
            type="success"
            role="status"
            showIcon
            title={t('confirmed')}
          />
        ) : null}
        <Button
          type="primary"
          htmlType="submit"
          loading={confirm.isPending}
          style={{ marginTop: 12 }}
        >
          {t('send')}
        </Button>
      </Form>
    </Card>
  );
}

function History({ detail }: { detail: Detail }) {
  const t = useMessages(isp);
  const c = useMessages(common);
  const f = useFormat();
  const columns = [
    {
      title: t('sentAt'),
      key: 'createdAt',
      render: (_: unknown, x: Confirmation) => f.dateTime(x.createdAt),
    },
    {
      title: t('confirmStatus'),
      key: 'status',
      render: (_: unknown, x: Confirmation) => c(`assignment_${x.status}`),
    },
    {
      title: t('appliedAt'),
      key: 'appliedAt',
      render: (_: unknown, x: Confirmation) => f.dateTime(x.appliedAt),
    },
    {
      title: t('mechanism'),
      key: 'mechanism',
      render: (_: unknown, x: Confirmation) => (x.mechanism ? t(`mechanism_${x.mechanism}`) : '—'),
    },
    {
      title: t('evidence'),
      key: 'evidence',
      render: (_: unknown, x: Confirmation) => x.evidence ?? '—',
    },
    {
      title: t('reason'),
      key: 'reason',
      render: (_: unknown, x: Confirmation) => x.reason ?? '—',
    },
    {
      title: t('source'),
      key: 'source',
      render: (_: unknown, x: Confirmation) =>
        x.receiptId ? t('viaReceipt') : x.actorType === 'user' ? t('byPerson') : t('byClient'),
    },
  ];
  return (
    <Card title={<h2 style={headingStyle}>{t('historySection')}</h2>}>
      <Table<Confirmation>
        aria-label={t('historyCaption')}
        rowKey="id"
        size="small"
        columns={columns}
        dataSource={detail.confirmations}
        pagination={false}
      />
    </Card>
  );
}
