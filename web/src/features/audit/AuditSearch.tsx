import { useMemo, useState } from 'react';
import { Link } from 'react-router';
import {
  AutoComplete,
  Button,
  Col,
  DatePicker,
  Descriptions,
  Flex,
  Form,
  Input,
  Row,
  Select,
  Table,
  Tag,
  Typography,
} from 'antd';
import type { Dayjs } from 'dayjs';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { api, call, type Schemas } from '../../api/client';
import { useFormat, useMessages } from '../../i18n/i18n';
import { common } from '../../i18n/messages';
import { Page } from '../../ui/Page';
import { Pager } from '../../ui/Pager';
import { QueryState } from '../../ui/QueryState';
import { useCursorPages } from '../../ui/cursor';
import { choices, useBlockingRequests, useOrganizations, useUsers } from './directory';
import { audit } from './messages';

type AuditEvent = Schemas['AuditEventResponse'];

/** The kinds of object the trail records (docs/audit.md#what-is-recorded). */
const OBJECT_TYPES = [
  'api_client',
  'assignment',
  'audit_export',
  'audit_key',
  'blocking_request',
  'compliance_report',
  'feed',
  'feed_receipt',
  'import',
  'indicator',
  'organization',
  'protected_list',
  'sighting',
  'sighting_summary',
  'signing_key',
  'user',
  'webhook_delivery',
  'webhook_subscription',
];

const ACTION_SUGGESTIONS = [
  ...OBJECT_TYPES.map((type) => `${type}.`),
  'auth.',
  'auth.login',
  'auth.login_failed',
  'blocking_request.approve',
  'blocking_request.withdraw',
  'assignment.confirm',
  'compliance.',
  'feed.pull',
  'audit.export',
];

interface Filters {
  from?: string;
  to?: string;
  action?: string;
  objectType?: string;
  objectId?: string;
  actorId?: string;
  organizationId?: string;
}

interface FormValues {
  period?: [Dayjs | null, Dayjs | null] | null;
  action?: string;
  objectType?: string;
  objectId?: string;
  blockingRequestId?: string;
  actorId?: string;
  organizationId?: string;
}

function filtersOf(values: FormValues): Filters {
  const text = (v: string | undefined) => (v?.trim() ? v.trim() : undefined);
  const [start, end] = values.period ?? [];
  const filters: Filters = {
    from: start ? start.toISOString() : undefined,
    to: end ? end.toISOString() : undefined,
    action: text(values.action),
    objectType: values.objectType,
    objectId: values.objectType ? text(values.objectId) : undefined,
    actorId: values.actorId,
    organizationId: values.organizationId,
  };
  if (values.blockingRequestId) {
    filters.objectType = 'blocking_request';
    filters.objectId = values.blockingRequestId;
  }
  return Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== undefined));
}

export default function AuditSearch() {
  const t = useMessages(audit);
  const tc = useMessages(common);
  const fmt = useFormat();
  const [form] = Form.useForm<FormValues>();
  const [filters, setFilters] = useState<Filters>({});
  const [expanded, setExpanded] = useState<string[]>([]);
  const toggle = (id: string) =>
    setExpanded((keys) => (keys.includes(id) ? keys.filter((k) => k !== id) : [...keys, id]));
  const pages = useCursorPages();
  const organizations = useOrganizations();
  const users = useUsers();
  const requests = useBlockingRequests();
  const query = useQuery({
    queryKey: ['audit-events', filters, pages.cursor],
    placeholderData: keepPreviousData,
    queryFn: () =>
      call(() =>
        api.GET('/api/v1/audit/events', {
          params: { query: { ...filters, limit: 50, cursor: pages.cursor } },
        }),
      ),
  });

  const orgNames = useMemo(
    () => new Map((organizations.data?.items ?? []).map((o) => [o.id, o.name])),
    [organizations.data],
  );
  const userNames = useMemo(
    () => new Map((users.data?.items ?? []).map((u) => [u.id, `${u.name} (${u.email})`])),
    [users.data],
  );
  const requestNames = useMemo(
    () => new Map((requests.data?.items ?? []).map((r) => [r.id, r.documentNumber])),
    [requests.data],
  );

  const actorOf = (event: AuditEvent) => {
    const kind = t(`actorType_${event.actor.type}`);
    if (!event.actor.id) return kind;
    return `${kind}: ${userNames.get(event.actor.id) ?? event.actor.id}`;
  };
  const subjectOf = (event: AuditEvent) => {
    if (!event.objectId) return <code>{event.objectType}</code>;
    if (event.objectType === 'blocking_request') {
      return (
        <>
          <code>{event.objectType}</code>{' '}
          <Link to={`/requests/${event.objectId}`}>
            {requestNames.get(event.objectId) ?? event.objectId}
          </Link>
        </>
      );
    }
    const name =
      event.objectType === 'organization' || event.objectType === 'feed'
        ? orgNames.get(event.objectId)
        : event.objectType === 'user'
          ? userNames.get(event.objectId)
          : undefined;
    return (
      <>
        <code>{event.objectType}</code> {name ?? event.objectId}
      </>
    );
  };

  const detailsOf = (event: AuditEvent) => (
    <section aria-label={t('eventTitle', { seq: event.seq })}>
      <Descriptions
        column={1}
        size="small"
        bordered
        items={[
          { key: 'seq', label: t('seq'), children: event.seq },
          { key: 'at', label: t('at'), children: fmt.dateTime(event.at) },
          { key: 'actor', label: t('actor'), children: actorOf(event) },
          {
            key: 'org',
            label: t('organization'),
            children: event.organizationId
              ? (orgNames.get(event.organizationId) ?? event.organizationId)
              : '—',
          },
          {
            key: 'roles',
            label: t('roles'),
            children: event.roles.length ? event.roles.map((r) => <Tag key={r}>{r}</Tag>) : '—',
          },
          { key: 'action', label: t('action'), children: <code>{event.action}</code> },
          { key: 'subject', label: t('subject'), children: subjectOf(event) },
          { key: 'request', label: t('httpRequest'), children: event.requestId ?? '—' },
          { key: 'ip', label: t('clientIp'), children: event.clientIp ?? '—' },
          {
            key: 'hash',
            label: t('chainHash'),
            children: <code style={{ wordBreak: 'break-all' }}>{event.hash}</code>,
          },
        ]}
      />
      <Typography.Title level={2} style={{ fontSize: 16, marginTop: 16 }}>
        {t('rawEvent')}
      </Typography.Title>
      <pre
        tabIndex={0}
        role="region"
        aria-label={t('rawEvent')}
        style={{
          background: '#f5f5f5',
          padding: 12,
          overflow: 'auto',
          maxHeight: 420,
          fontSize: 12,
        }}
      >
        {JSON.stringify(event, null, 2)}
      </pre>
    </section>
  );

  const submit = (values: FormValues) => {
    setFilters(filtersOf(values));
    pages.reset();
  };

  return (
    <>
      <Page title={t('searchTitle')}>
        <Form<FormValues>
          form={form}
          layout="vertical"
          onFinish={submit}
          aria-label={t('filters')}
          style={{ marginBottom: 8 }}
        >
          <Row gutter={16}>
            <Col xs={24} md={12} xl={8}>
              <Form.Item name="period" label={t('period')}>
                <DatePicker.RangePicker
                  showTime={{ format: 'HH:mm' }}
                  format="DD/MM/YYYY HH:mm"
                  allowEmpty={[true, true]}
                  style={{ width: '100%' }}
                />
              </Form.Item>
            </Col>
            <Col xs={24} md={12} xl={8}>
              <Form.Item name="action" label={t('action')} extra={t('actionHelp')}>
                <AutoComplete
                  allowClear
                  options={ACTION_SUGGESTIONS.map((value) => ({ value }))}
                  filterOption={(input, option) =>
                    String(option?.value ?? '').includes(input.trim().toLowerCase())
                  }
                />
              </Form.Item>
            </Col>
            <Col xs={24} md={12} xl={8}>
              <Form.Item name="actorId" label={t('actor')}>
                <Select
                  allowClear
                  showSearch={{ optionFilterProp: 'label' }}
                  loading={users.isPending}
                  options={choices(
                    users.data?.items,
                    (u) => u.id,
                    (u) => `${u.name} (${u.email})`,
                  )}
                />
              </Form.Item>
            </Col>
            <Col xs={24} md={12} xl={8}>
              <Form.Item name="organizationId" label={t('organization')}>
                <Select
                  allowClear
                  showSearch={{ optionFilterProp: 'label' }}
                  loading={organizations.isPending}
                  options={choices(
                    organizations.data?.items,
                    (o) => o.id,
                    (o) => o.name,
                  )}
                />
              </Form.Item>
            </Col>
            <Col xs={24} md={12} xl={8}>
              <Form.Item name="blockingRequestId" label={t('blockingRequest')}>
                <Select
                  allowClear
                  showSearch={{ optionFilterProp: 'label' }}
                  loading={requests.isPending}
                  options={choices(
                    requests.data?.items,
                    (r) => r.id,
                    (r) => `${r.documentNumber} — ${r.title}`,
                  )}
                />
              </Form.Item>
            </Col>
            <Col xs={12} md={6} xl={4}>
              <Form.Item name="objectType" label={t('objectType')}>
                <Select
                  allowClear
                  options={OBJECT_TYPES.map((value) => ({ value, label: value }))}
                />
              </Form.Item>
            </Col>
            <Col xs={12} md={6} xl={4}>
              <Form.Item
                name="objectId"
                label={t('objectId')}
                extra={t('objectIdHelp')}
                dependencies={['objectType']}
                rules={[
                  ({ getFieldValue }) => ({
                    validator: (_rule, value: string | undefined) =>
                      !value?.trim() || getFieldValue('objectType')
                        ? Promise.resolve()
                        : Promise.reject(new Error(t('objectIdNeedsType'))),
                  }),
                ]}
              >
                <Input maxLength={200} />
              </Form.Item>
            </Col>
          </Row>
          <Flex gap="small">
            <Button type="primary" htmlType="submit">
              {t('apply')}
            </Button>
            <Button
              onClick={() => {
                form.resetFields();
                submit({});
              }}
            >
              {tc('reset')}
            </Button>
          </Flex>
        </Form>
        <QueryState query={query}>
          {(data) => (
            <>
              <div
                role="region"
                aria-label={t('eventsCaption')}
                tabIndex={0}
                style={{ overflowX: 'auto' }}
              >
                <Table<AuditEvent>
                  // No scrollbar measurement: it injects a <style> without the CSP nonce (rc-table).
                  caption={<span className="visually-hidden">{t('eventsCaption')}</span>}
                  rowKey="id"
                  dataSource={data.items}
                  pagination={false}
                  size="small"
                  loading={query.isFetching && query.isPlaceholderData}
                  expandable={{
                    showExpandColumn: false,
                    expandedRowKeys: expanded,
                    expandedRowRender: detailsOf,
                  }}
                  locale={{ emptyText: <Typography.Text>{t('noEvents')}</Typography.Text> }}
                  columns={[
                    { title: t('seq'), dataIndex: 'seq', align: 'right' },
                    { title: t('at'), dataIndex: 'at', render: (at: string) => fmt.dateTime(at) },
                    { title: t('actor'), key: 'actor', render: (_, e) => actorOf(e) },
                    {
                      title: t('organization'),
                      dataIndex: 'organizationId',
                      render: (id: string | null) => (id ? (orgNames.get(id) ?? id) : '—'),
                    },
                    {
                      title: t('action'),
                      dataIndex: 'action',
                      render: (action: string) => <code>{action}</code>,
                    },
                    { title: t('subject'), key: 'subject', render: (_, e) => subjectOf(e) },
                    {
                      title: tc('actions'),
                      key: 'details',
                      render: (_, e) => (
                        <Button
                          size="small"
                          aria-label={t('detailsOf', { seq: e.seq })}
                          aria-expanded={expanded.includes(e.id)}
                          onClick={() => toggle(e.id)}
                        >
                          {t('details')}
                        </Button>
                      ),
                    },
                  ]}
                />
              </div>
              <Flex justify="space-between" align="center">
                <Typography.Text type="secondary">
                  {t('page', { page: pages.page })}
                </Typography.Text>
                <Pager pages={pages} nextCursor={data.nextCursor} />
              </Flex>
            </>
          )}
        </QueryState>
      </Page>
    </>
  );
}
