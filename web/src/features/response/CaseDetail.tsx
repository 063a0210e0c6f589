import { useMemo, useState } from 'react';
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
  Select,
  Space,
  Table,
  Typography,
} from 'antd';
import { z } from 'zod/mini';
import { api, call, type Schemas } from '../../api/client';
import { hasAnyRole, useSession } from '../../auth/useSession';
import { useFormat, useMessages } from '../../i18n/i18n';
import { Page } from '../../ui/Page';
import { Pager } from '../../ui/Pager';
import { QueryState } from '../../ui/QueryState';
import { useCursorPages } from '../../ui/cursor';
import { zodRule } from '../../ui/zod-rule';
import { response } from './messages';
import {
  CASE_ACTORS,
  CardTitle,
  CaseStatusTag,
  DueAt,
  REMEDIATION_KINDS,
  type RemediationKind,
} from './shared';
import { LINK_STYLE } from '../../ui/links';
import { useIdempotencyKeys } from '../../ui/idempotency';
import { ProblemAlert } from '../../ui/ProblemAlert';

type Detail = Schemas['CaseDetail'];
type Connection = Schemas['CaseConnection'];
type History = Schemas['CaseHistoryEntry'];

const summarySchema = z.string().check(z.trim(), z.minLength(1), z.maxLength(4000));

/** One case: facts, its C2s, the internal addresses (paged), history, and the unit's actions. */
export default function CaseDetail() {
  const { id = '' } = useParams();
  const t = useMessages(response);
  const query = useQuery({
    queryKey: ['case', id],
    queryFn: () => call(() => api.GET('/api/v1/cases/{id}', { params: { path: { id } } })),
  });
  return (
    <Page
      title={query.data ? `${t('casesTitle')}: ${query.data.unitName}` : t('casesTitle')}
      extra={
        <Link to="/cases" style={LINK_STYLE}>
          {t('back')}
        </Link>
      }
    >
      <QueryState query={query}>{(detail) => <DetailView detail={detail} />}</QueryState>
    </Page>
  );
}

function DetailView({ detail }: { detail: Detail }) {
  const t = useMessages(response);
  const f = useFormat();
  const session = useSession();
  const client = useQueryClient();
  const keys = useIdempotencyKeys();
  const mayAct = hasAnyRole(session, CASE_ACTORS);
  const open = detail.status === 'open' || detail.status === 'acknowledged';
  // Shown here: once the report is in, the case is no longer open and its form goes away.
  const [remediationSent, setRemediationSent] = useState(false);

  const refresh = async () => {
    await client.invalidateQueries({ queryKey: ['case', detail.id] });
    await client.invalidateQueries({ queryKey: ['cases'] });
  };
  const acknowledge = useMutation({
    mutationFn: async () => {
      const action = `ack:${detail.id}:${detail.version}`;
      const answer = await call(() =>
        api.POST('/api/v1/cases/{id}/acknowledge', {
          params: { path: { id: detail.id }, header: { 'Idempotency-Key': keys.keyFor(action) } },
          body: { version: detail.version },
        }),
      );
      keys.settled(action);
      return answer;
    },
    onSuccess: refresh,
  });

  return (
    <Space direction="vertical" size="large" style={{ width: '100%' }}>
      <Card title={<CardTitle>{t('caseSummary')}</CardTitle>}>
        <Descriptions
          column={{ xs: 1, md: 2 }}
          size="small"
          styles={{ label: { color: 'rgba(0, 0, 0, 0.72)' } }}
        >
          <Descriptions.Item label={t('unit')}>
            {detail.unitName} ({detail.unitShortCode})
          </Descriptions.Item>
          <Descriptions.Item label={t('status')}>
            <CaseStatusTag status={detail.status} />
          </Descriptions.Item>
          <Descriptions.Item label={t('deadline')}>
            <DueAt at={detail.deadlineAt} overdue={detail.overdue} open={open} />
          </Descriptions.Item>
          <Descriptions.Item label={t('openedAt')}>{f.dateTime(detail.openedAt)}</Descriptions.Item>
          <Descriptions.Item label={t('firstSeen')}>
            {f.dateTime(detail.firstSeen)}
          </Descriptions.Item>
          <Descriptions.Item label={t('lastSeen')}>{f.dateTime(detail.lastSeen)}</Descriptions.Item>
          <Descriptions.Item label={t('infectedAddresses')}>
            {f.number(detail.infectedAddresses)}
          </Descriptions.Item>
          <Descriptions.Item label={t('c2Count')}>{f.number(detail.c2Count)}</Descriptions.Item>
          <Descriptions.Item label={t('acknowledgedAt')}>
            {f.dateTime(detail.acknowledgedAt)}
          </Descriptions.Item>
          <Descriptions.Item label={t('remediatedAt')}>
            {f.dateTime(detail.remediatedAt)}
          </Descriptions.Item>
          <Descriptions.Item label={t('closedAt')}>{f.dateTime(detail.closedAt)}</Descriptions.Item>
          <Descriptions.Item label={t('reopenCount')}>
            {f.number(detail.reopenCount)}
          </Descriptions.Item>
        </Descriptions>
        {mayAct && detail.status === 'open' ? (
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
            <ProblemAlert error={acknowledge.error} />
          </div>
        ) : null}
      </Card>

      {remediationSent ? (
        <Alert type="success" role="status" showIcon title={t('remediationSent')} />
      ) : null}
      {detail.remediation ? (
        <Card title={<CardTitle>{t('remediationShown')}</CardTitle>}>
          <Typography.Paragraph style={{ whiteSpace: 'pre-wrap' }}>
            {detail.remediation.summary}
          </Typography.Paragraph>
          <ul>
            {detail.remediation.actions.map((a, i) => (
              <li key={i}>
                {t(`kind_${a.kind}`)}
                {a.detail ? `: ${a.detail}` : ''}
              </li>
            ))}
          </ul>
        </Card>
      ) : null}

      {mayAct && open ? (
        <RemediationForm
          detail={detail}
          keys={keys}
          onDone={async () => {
            setRemediationSent(true);
            await refresh();
          }}
        />
      ) : null}

      <C2s detail={detail} />
      <Connections caseId={detail.id} />
      <HistoryCard history={detail.history} />
    </Space>
  );
}

interface RemediationValues {
  summary: string;
  actions: { kind?: RemediationKind; detail?: string }[];
}

function RemediationForm({
  detail,
  keys,
  onDone,
}: {
  detail: Detail;
  keys: ReturnType<typeof useIdempotencyKeys>;
  onDone: () => Promise<void>;
}) {
  const t = useMessages(response);
  const [form] = Form.useForm<RemediationValues>();
  const send = useMutation({
    mutationFn: async (body: Schemas['ReportRemediation']) => {
      const action = `remediation:${detail.id}:${JSON.stringify(body)}`;
      const answer = await call(() =>
        api.POST('/api/v1/cases/{id}/remediation', {
          params: { path: { id: detail.id }, header: { 'Idempotency-Key': keys.keyFor(action) } },
          body,
        }),
      );
      keys.settled(action);
      return answer;
    },
    onSuccess: onDone,
  });
  const submit = (values: RemediationValues) =>
    send.mutate({
      version: detail.version,
      summary: values.summary.trim(),
      actions: values.actions
        .filter((a) => a.kind)
        .map((a) => ({ kind: a.kind!, detail: a.detail?.trim() || undefined })),
    });
  return (
    <Card title={<CardTitle>{t('remediationSection')}</CardTitle>}>
      <Typography.Paragraph type="secondary">{t('remediationLead')}</Typography.Paragraph>
      <Form<RemediationValues>
        form={form}
        layout="vertical"
        initialValues={{ summary: '', actions: [{ kind: 'cleaned', detail: '' }] }}
        onFinish={submit}
        style={{ maxWidth: 800 }}
      >
        <Form.Item
          name="summary"
          label={t('summary')}
          rules={[zodRule(summarySchema, t('summaryRequired'))]}
        >
          <Input.TextArea rows={3} maxLength={4000} />
        </Form.Item>
        <Typography.Text strong>{t('actionsLabel')}</Typography.Text>
        <Form.List
          name="actions"
          rules={[
            {
              validator: (_r, v: unknown[] | undefined) =>
                v && v.length > 0 && v.length <= 50
                  ? Promise.resolve()
                  : Promise.reject(new Error(t('actionsRequired'))),
            },
          ]}
        >
          {(fields, { add, remove }, { errors }) => (
            <>
              {fields.map((field, index) => (
                <Flex key={field.key} gap="small" align="start" wrap style={{ marginTop: 8 }}>
                  <Form.Item
                    name={[field.name, 'kind']}
                    rules={[{ required: true, message: t('actionsRequired') }]}
                    style={{ marginBottom: 8 }}
                  >
                    <Select<RemediationKind>
                      aria-label={t('actionKindFor', { n: index + 1 })}
                      style={{ width: 260 }}
                      options={REMEDIATION_KINDS.map((k) => ({ value: k, label: t(`kind_${k}`) }))}
                    />
                  </Form.Item>
                  <Form.Item name={[field.name, 'detail']} style={{ flex: 1, marginBottom: 8 }}>
                    <Input
                      aria-label={t('actionDetailFor', { n: index + 1 })}
                      placeholder={t('actionDetail')}
                      maxLength={1000}
                    />
                  </Form.Item>
                  {fields.length > 1 ? (
                    <Button onClick={() => remove(field.name)}>
                      {t('removeAction', { n: index + 1 })}
                    </Button>
                  ) : null}
                </Flex>
              ))}
              <Form.ErrorList errors={errors} />
              <Button
                onClick={() => add({ kind: 'other', detail: '' })}
                disabled={fields.length >= 50}
                style={{ marginTop: 4 }}
              >
                {t('addAction')}
              </Button>
            </>
          )}
        </Form.List>
        {send.isError ? (
          <div style={{ marginTop: 12 }}>
            <ProblemAlert error={send.error} />
          </div>
        ) : null}
        <div style={{ marginTop: 16 }}>
          <Button type="primary" htmlType="submit" loading={send.isPending}>
            {t('reportRemediation')}
          </Button>
        </div>
      </Form>
    </Card>
  );
}

/** The distinct C2s among the case's most recent connections (the detail holds 500). */
function C2s({ detail }: { detail: Detail }) {
  const t = useMessages(response);
  const f = useFormat();
  const rows = useMemo(() => {
    const byValue = new Map<
      string,
      { c2Value: string; c2Type: string; count: number; lastSeen: string }
    >();
    for (const c of detail.connections) {
      const row = byValue.get(c.c2Value) ?? {
        c2Value: c.c2Value,
        c2Type: c.c2Type,
        count: 0,
        lastSeen: c.lastSeen,
      };
      row.count += c.count;
      if (c.lastSeen > row.lastSeen) row.lastSeen = c.lastSeen;
      byValue.set(c.c2Value, row);
    }
    return [...byValue.values()].sort((a, b) => b.count - a.count);
  }, [detail.connections]);
  return (
    <Card title={<CardTitle>{t('c2Section')}</CardTitle>}>
      <Table
        aria-label={t('c2Caption')}
        rowKey="c2Value"
        size="small"
        dataSource={rows}
        pagination={rows.length > 50 ? { pageSize: 50, showSizeChanger: false } : false}
        columns={[
          {
            title: t('c2'),
            key: 'value',
            render: (_: unknown, r: (typeof rows)[number]) => (
              <Typography.Text code style={{ wordBreak: 'break-all' }}>
                {r.c2Value}
              </Typography.Text>
            ),
          },
          { title: t('c2Type'), dataIndex: 'c2Type', key: 'type' },
          {
            title: t('count'),
            key: 'count',
            align: 'right' as const,
            render: (_: unknown, r: (typeof rows)[number]) => f.number(r.count),
          },
          {
            title: t('lastSeen'),
            key: 'lastSeen',
            render: (_: unknown, r: (typeof rows)[number]) => f.dateTime(r.lastSeen),
          },
        ]}
      />
    </Card>
  );
}

function Connections({ caseId }: { caseId: string }) {
  const t = useMessages(response);
  const f = useFormat();
  const pages = useCursorPages();
  const [pageSize] = useState(50);
  const query = useQuery({
    queryKey: ['case', caseId, 'connections', pages.cursor],
    queryFn: () =>
      call(() =>
        api.GET('/api/v1/cases/{id}/connections', {
          params: { path: { id: caseId }, query: { limit: pageSize, cursor: pages.cursor } },
        }),
      ),
  });
  return (
    <Card title={<CardTitle>{t('addressesSection')}</CardTitle>}>
      <QueryState query={query}>
        {(data) => (
          <>
            <Table<Connection>
              aria-label={t('addressesCaption')}
              rowKey={(c) => `${c.address}|${c.c2Value}`}
              size="small"
              dataSource={data.items}
              pagination={false}
              columns={[
                {
                  title: t('address'),
                  key: 'address',
                  render: (_: unknown, c: Connection) => (
                    <Typography.Text code>{c.address}</Typography.Text>
                  ),
                },
                {
                  title: t('c2'),
                  key: 'c2',
                  render: (_: unknown, c: Connection) => (
                    <span style={{ wordBreak: 'break-all' }}>{c.c2Value}</span>
                  ),
                },
                {
                  title: t('count'),
                  key: 'count',
                  align: 'right' as const,
                  render: (_: unknown, c: Connection) => f.number(c.count),
                },
                {
                  title: t('firstSeen'),
                  key: 'firstSeen',
                  render: (_: unknown, c: Connection) => f.dateTime(c.firstSeen),
                },
                {
                  title: t('lastSeen'),
                  key: 'lastSeen',
                  render: (_: unknown, c: Connection) => f.dateTime(c.lastSeen),
                },
              ]}
            />
            <Pager pages={pages} nextCursor={data.nextCursor} />
          </>
        )}
      </QueryState>
    </Card>
  );
}

function HistoryCard({ history }: { history: History[] }) {
  const t = useMessages(response);
  const f = useFormat();
  return (
    <Card title={<CardTitle>{t('historySection')}</CardTitle>}>
      <Table<History>
        aria-label={t('historyCaption')}
        rowKey={(h) => `${h.at}|${h.toStatus}`}
        size="small"
        dataSource={history}
        pagination={false}
        columns={[
          { title: t('at'), key: 'at', render: (_: unknown, h: History) => f.dateTime(h.at) },
          {
            title: t('change'),
            key: 'change',
            render: (_: unknown, h: History) => (
              <Space size={4}>
                {h.fromStatus ? <CaseStatusTag status={h.fromStatus} /> : null}
                {h.fromStatus ? '→' : null}
                <CaseStatusTag status={h.toStatus} />
              </Space>
            ),
          },
          {
            title: t('by'),
            key: 'by',
            render: (_: unknown, h: History) => t(`actor_${h.actorType}`),
          },
          {
            title: t('reason'),
            key: 'reason',
            render: (_: unknown, h: History) => h.reason ?? '—',
          },
        ]}
      />
    </Card>
  );
}
