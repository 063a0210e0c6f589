import { useEffect } from 'react';
import { Button, Flex, Form, Input, Select } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { useNavigate, useSearchParams } from 'react-router';
import { api, call, type Schemas } from '../../api/client';
import { hasAnyRole, useSession } from '../../auth/useSession';
import { useFormat, useMessages } from '../../i18n/i18n';
import { common } from '../../i18n/messages';
import { Page } from '../../ui/Page';
import { Pager } from '../../ui/Pager';
import { QueryState } from '../../ui/QueryState';
import { useCursorPages } from '../../ui/cursor';
import { requests } from './messages';
import {
  CATEGORIES,
  EmptyState,
  SEVERITIES,
  STATUSES,
  SeverityTag,
  StatusTag,
  useDeadlineText,
  type Category,
  type RequestStatus,
  type Severity,
  DataTable,
  RequestLink,
} from './shared';

type Row = Schemas['BlockingRequestResponse'];

function oneOf<T extends string>(value: string | null, allowed: readonly T[]): T | undefined {
  return allowed.find((a) => a === value);
}

/** A date (yyyy-mm-dd, local) as the instant its day starts, `days` later. */
function dayStart(date: string | null, days = 0): string | undefined {
  if (!date || !/^\d{4}-\d{2}-\d{2}$/.test(date)) return undefined;
  const d = new Date(`${date}T00:00:00`);
  if (Number.isNaN(d.getTime())) return undefined;
  d.setDate(d.getDate() + days);
  return d.toISOString();
}

/** The blocking requests, filtered (the filters live in the address: `?status=…` links here). */
export default function Requests() {
  const t = useMessages(requests);
  const c = useMessages(common);
  const f = useFormat();
  const deadline = useDeadlineText();
  const session = useSession();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const pages = useCursorPages();

  const status = oneOf<RequestStatus>(params.get('status'), STATUSES);
  const category = oneOf<Category>(params.get('category'), CATEGORIES);
  const severity = oneOf<Severity>(params.get('severity'), SEVERITIES);
  const from = params.get('from') ?? '';
  const to = params.get('to') ?? '';
  const filterKey = params.toString();
  const { reset } = pages;
  useEffect(() => reset(), [filterKey, reset]);

  const query = useQuery({
    queryKey: ['blocking-requests', 'list', filterKey, pages.cursor],
    queryFn: () =>
      call(() =>
        api.GET('/api/v1/blocking-requests', {
          params: {
            query: {
              limit: 50,
              cursor: pages.cursor,
              status,
              category,
              severity,
              createdFrom: dayStart(from),
              // createdTo is exclusive: the day after the last day chosen.
              createdTo: dayStart(to, 1),
            },
          },
        }),
      ),
  });

  function setFilter(name: string, value: string | undefined) {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    setParams(next, { replace: true });
  }

  const any = { value: '', label: t('any') };
  return (
    <Page
      title={t('listTitle')}
      extra={
        hasAnyRole(session, ['analyst']) ? (
          <Button type="primary" onClick={() => void navigate('/requests/new')}>
            {t('newRequest')}
          </Button>
        ) : null
      }
    >
      <Form layout="vertical" aria-label={t('filters')} role="search">
        <Flex wrap gap="middle" align="end">
          <Form.Item label={t('status')} htmlFor="filter-status" style={{ minWidth: 180 }}>
            <Select
              id="filter-status"
              value={status ?? ''}
              onChange={(v: string) => setFilter('status', v)}
              options={[any, ...STATUSES.map((s) => ({ value: s, label: c(`status_${s}`) }))]}
            />
          </Form.Item>
          <Form.Item label={t('category')} htmlFor="filter-category" style={{ minWidth: 200 }}>
            <Select
              id="filter-category"
              value={category ?? ''}
              onChange={(v: string) => setFilter('category', v)}
              options={[any, ...CATEGORIES.map((s) => ({ value: s, label: c(`category_${s}`) }))]}
            />
          </Form.Item>
          <Form.Item label={t('severity')} htmlFor="filter-severity" style={{ minWidth: 150 }}>
            <Select
              id="filter-severity"
              value={severity ?? ''}
              onChange={(v: string) => setFilter('severity', v)}
              options={[any, ...SEVERITIES.map((s) => ({ value: s, label: c(`severity_${s}`) }))]}
            />
          </Form.Item>
          <Form.Item label={t('createdFrom')} htmlFor="filter-from">
            <Input
              id="filter-from"
              type="date"
              value={from}
              onChange={(e) => setFilter('from', e.target.value)}
            />
          </Form.Item>
          <Form.Item label={t('createdTo')} htmlFor="filter-to">
            <Input
              id="filter-to"
              type="date"
              value={to}
              onChange={(e) => setFilter('to', e.target.value)}
            />
          </Form.Item>
          <Form.Item>
            <Button onClick={() => setParams(new URLSearchParams(), { replace: true })}>
              {c('reset')}
            </Button>
          </Form.Item>
        </Flex>
      </Form>
      <QueryState query={query}>
        {(data) => (
          <>
            <DataTable<Row>
              rowKey="id"
              dataSource={data.items}
              pagination={false}
              caption={<span className="visually-hidden">{t('listCaption')}</span>}
              locale={{ emptyText: <EmptyState text={t('noRequests')} /> }}
              columns={[
                {
                  title: t('documentNumber'),
                  dataIndex: 'documentNumber',
                  render: (value: string, r) => <RequestLink id={r.id}>{value}</RequestLink>,
                },
                { title: t('title'), dataIndex: 'title' },
                {
                  title: t('category'),
                  dataIndex: 'category',
                  render: (value: Category) => c(`category_${value}`),
                },
                {
                  title: t('severity'),
                  dataIndex: 'severity',
                  render: (value: Severity) => <SeverityTag severity={value} />,
                },
                {
                  title: t('status'),
                  dataIndex: 'status',
                  render: (value: RequestStatus) => <StatusTag status={value} />,
                },
                {
                  title: t('items'),
                  dataIndex: 'itemCount',
                  align: 'right',
                  render: (value: number) => f.number(value),
                },
                { title: t('deadline'), key: 'deadline', render: (_, r) => deadline(r) },
                {
                  title: t('created'),
                  dataIndex: 'createdAt',
                  render: (value: string) => f.dateTime(value),
                },
              ]}
            />
            <Pager pages={pages} nextCursor={data.nextCursor} />
          </>
        )}
      </QueryState>
    </Page>
  );
}
