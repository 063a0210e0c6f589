import { useRef } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Card, Col, Form, Input, InputNumber, Row, Space, Table, Tag } from 'antd';
import { z } from 'zod/mini';
import { api, call, type Schemas } from '../../api/client';
import { common } from '../../i18n/messages';
import { useFormat, useMessages } from '../../i18n/i18n';
import { Page } from '../../ui/Page';
import { Pager } from '../../ui/Pager';
import { ProblemAlert } from '../../ui/ProblemAlert';
import { QueryState } from '../../ui/QueryState';
import { useCursorPages } from '../../ui/cursor';
import { zodRule } from '../../ui/zod-rule';
import { isp } from './messages';
import { fromLocalInput, toLocalInput } from './shared';
import { useIdempotencyKeys } from '../../ui/idempotency';

type Sighting = Schemas['SightingResponse'];
type SummaryRow = Schemas['SightingSummaryRow'];

/** The API's bounds for one sighting (SightingInput). */
const sighting = z.object({
  value: z.string().check(z.trim(), z.minLength(1), z.maxLength(4096)),
  count: z.number().check(z.int(), z.gte(1)),
  when: z.string().check(z.refine((v) => fromLocalInput(v) !== undefined)),
  network: z.optional(z.string().check(z.maxLength(64))),
  customer: z.optional(z.string().check(z.maxLength(200))),
  note: z.optional(z.string().check(z.maxLength(2000))),
});

interface Values {
  value: string;
  count: number;
  firstSeen: string;
  lastSeen: string;
  network?: string;
  customer?: string;
  note?: string;
}

/** Report sightings (hits on an indicator of the feed), list them, and their summary. */
export default function Sightings() {
  const t = useMessages(isp);
  return (
    <Page title={t('sightingsTitle')}>
      <Space direction="vertical" size="large" style={{ width: '100%' }}>
        <ReportForm />
        <List />
        <Summary />
      </Space>
    </Page>
  );
}

function ReportForm() {
  const t = useMessages(isp);
  const client = useQueryClient();
  const keys = useIdempotencyKeys();
  const [form] = Form.useForm<Values>();
  const now = useRef(toLocalInput(new Date()));
  const report = useMutation({
    mutationFn: async (body: Schemas['CreateSightingsRequest']) => {
      const action = `sightings:${JSON.stringify(body)}`;
      const answer = await call(() =>
        api.POST('/api/v1/sightings', {
          params: { header: { 'Idempotency-Key': keys.keyFor(action) } },
          body,
        }),
      );
      keys.settled(action);
      return answer;
    },
    onSuccess: async () => {
      form.resetFields(['value', 'count', 'note']);
      await client.invalidateQueries({ queryKey: ['sightings'] });
      await client.invalidateQueries({ queryKey: ['sightings-summary'] });
    },
  });
  const submit = (v: Values) => {
    const network = v.network?.trim() || undefined;
    const customer = v.customer?.trim() || undefined;
    report.mutate({
      sightings: [
        {
          value: v.value.trim(),
          count: v.count,
          firstSeen: fromLocalInput(v.firstSeen) ?? '',
          lastSeen: fromLocalInput(v.lastSeen) ?? '',
          network,
          customer,
          note: v.note?.trim() || undefined,
        },
      ],
    });
  };
  const needOne = {
    validator: () => {
      const { network, customer } = form.getFieldsValue(['network', 'customer']) as Values;
      return network?.trim() || customer?.trim()
        ? Promise.resolve()
        : Promise.reject(new Error(t('networkOrCustomer')));
    },
  };
  return (
    <Card title={<h2 style={{ fontSize: 18, margin: 0 }}>{t('reportSection')}</h2>}>
      <p>{t('reportLead')}</p>
      <Form<Values>
        form={form}
        layout="vertical"
        initialValues={{ count: 1, firstSeen: now.current, lastSeen: now.current }}
        onFinish={submit}
      >
        <Row gutter={16}>
          <Col xs={24} md={8}>
            <Form.Item
              name="value"
              label={t('indicatorValue')}
              rules={[zodRule(sighting.shape.value, t('indicatorRequired'))]}
            >
              <Input maxLength={4096} />
            </Form.Item>
          </Col>
          <Col xs={24} md={4}>
            <Form.Item
              name="count"
              label={t('count')}
              rules={[zodRule(sighting.shape.count, t('countInvalid'))]}
            >
              <InputNumber min={1} precision={0} style={{ width: '100%' }} />
            </Form.Item>
          </Col>
          <Col xs={24} md={6}>
            <Form.Item
              name="firstSeen"
              label={t('firstSeen')}
              rules={[zodRule(sighting.shape.when, t('appliedAtInvalid'))]}
            >
              <Input type="datetime-local" step={1} />
            </Form.Item>
          </Col>
          <Col xs={24} md={6}>
            <Form.Item
              name="lastSeen"
              label={t('lastSeen')}
              rules={[zodRule(sighting.shape.when, t('appliedAtInvalid'))]}
            >
              <Input type="datetime-local" step={1} />
            </Form.Item>
          </Col>
          <Col xs={24} md={8}>
            <Form.Item
              name="network"
              label={t('network')}
              dependencies={['customer']}
              rules={[needOne]}
            >
              <Input placeholder="203.0.113.0/26" maxLength={64} />
            </Form.Item>
          </Col>
          <Col xs={24} md={8}>
            <Form.Item
              name="customer"
              label={t('customer')}
              dependencies={['network']}
              rules={[needOne]}
            >
              <Input maxLength={200} />
            </Form.Item>
          </Col>
          <Col xs={24} md={8}>
            <Form.Item name="note" label={t('note')}>
              <Input maxLength={2000} />
            </Form.Item>
          </Col>
        </Row>
        {report.isError ? (
          <div style={{ marginBottom: 12 }}>
            <ProblemAlert error={report.error} />
          </div>
        ) : null}
        {report.isSuccess ? (
          <Alert
            style={{ marginBottom: 12 }}
            type="success"
            role="status"
            showIcon
            title={t('reported')}
          />
        ) : null}
        <Button type="primary" htmlType="submit" loading={report.isPending}>
          {t('report')}
        </Button>
      </Form>
    </Card>
  );
}

function List() {
  const t = useMessages(isp);
  const c = useMessages(common);
  const f = useFormat();
  const pages = useCursorPages();
  const query = useQuery({
    queryKey: ['sightings', pages.cursor],
    queryFn: () =>
      call(() =>
        api.GET('/api/v1/sightings', { params: { query: { limit: 20, cursor: pages.cursor } } }),
      ),
  });
  const columns = [
    {
      title: t('indicator'),
      key: 'indicator',
      render: (_: unknown, s: Sighting) => (
        <span style={{ wordBreak: 'break-all' }}>
          {s.indicatorValue} <Tag>{c(`type_${s.indicatorType}`)}</Tag>
        </span>
      ),
    },
    {
      title: t('count'),
      key: 'count',
      align: 'right' as const,
      render: (_: unknown, s: Sighting) => f.number(s.count),
    },
    {
      title: t('firstSeen'),
      key: 'firstSeen',
      render: (_: unknown, s: Sighting) => f.dateTime(s.firstSeen),
    },
    {
      title: t('lastSeen'),
      key: 'lastSeen',
      render: (_: unknown, s: Sighting) => f.dateTime(s.lastSeen),
    },
    { title: t('network'), key: 'network', render: (_: unknown, s: Sighting) => s.network ?? '—' },
    {
      title: t('customer'),
      key: 'customer',
      render: (_: unknown, s: Sighting) => s.customer ?? '—',
    },
    { title: t('note'), key: 'note', render: (_: unknown, s: Sighting) => s.note ?? '—' },
    {
      title: t('reportedAt'),
      key: 'createdAt',
      render: (_: unknown, s: Sighting) => f.dateTime(s.createdAt),
    },
  ];
  return (
    <Card title={<h2 style={{ fontSize: 18, margin: 0 }}>{t('sightingsSection')}</h2>}>
      <QueryState query={query}>
        {(data) => (
          <>
            <Table<Sighting>
              aria-label={t('sightingsCaption')}
              rowKey="id"
              size="small"
              columns={columns}
              dataSource={data.items}
              pagination={false}
            />
            <Pager pages={pages} nextCursor={data.nextCursor} />
          </>
        )}
      </QueryState>
    </Card>
  );
}

function Summary() {
  const t = useMessages(isp);
  const f = useFormat();
  const query = useQuery({
    queryKey: ['sightings-summary'],
    queryFn: () => call(() => api.GET('/api/v1/sightings/summary', { params: { query: {} } })),
  });
  const columns = [
    {
      title: t('network'),
      key: 'network',
      render: (_: unknown, r: SummaryRow) => r.network ?? '—',
    },
    {
      title: t('customer'),
      key: 'customer',
      render: (_: unknown, r: SummaryRow) => r.customer ?? '—',
    },
    {
      title: t('indicators'),
      key: 'indicators',
      render: (_: unknown, r: SummaryRow) => (
        <span style={{ wordBreak: 'break-all' }}>
          {r.indicators.map((i) => i.value).join(', ')}
        </span>
      ),
    },
    {
      title: t('reports'),
      key: 'sightings',
      align: 'right' as const,
      render: (_: unknown, r: SummaryRow) => f.number(r.sightings),
    },
    {
      title: t('totalCount'),
      key: 'totalCount',
      align: 'right' as const,
      render: (_: unknown, r: SummaryRow) => f.number(r.totalCount),
    },
    {
      title: t('lastSeen'),
      key: 'lastSeen',
      render: (_: unknown, r: SummaryRow) => f.dateTime(r.lastSeen),
    },
  ];
  return (
    <Card title={<h2 style={{ fontSize: 18, margin: 0 }}>{t('summarySection')}</h2>}>
      <QueryState query={query}>
        {(data) => (
          <>
            {data.truncated ? (
              <Alert
                type="warning"
                showIcon
                title={t('summaryTruncated')}
                style={{ marginBottom: 12 }}
              />
            ) : null}
            <Table<SummaryRow>
              aria-label={t('summaryCaption')}
              rowKey={(r) => `${r.organizationId}|${r.network ?? ''}|${r.customer ?? ''}`}
              size="small"
              columns={columns}
              dataSource={data.items}
              pagination={false}
            />
          </>
        )}
      </QueryState>
    </Card>
  );
}
