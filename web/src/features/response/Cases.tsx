import { useState } from 'react';
import { Link } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { Form, Select, Table, Typography } from 'antd';
import { api, call, type Schemas } from '../../api/client';
import { useFormat, useMessages } from '../../i18n/i18n';
import { Page } from '../../ui/Page';
import { Pager } from '../../ui/Pager';
import { QueryState } from '../../ui/QueryState';
import { useCursorPages } from '../../ui/cursor';
import { response } from './messages';
import { CASE_STATUSES, CaseStatusTag, DueAt, type CaseStatus } from './shared';
import { LINK_STYLE } from '../../ui/links';

type Case = Schemas['CaseResponse'];

/**
 * Units' botnet cases: a unit officer sees their unit's (the API scopes them), the Department's
 * people and auditors every unit's. Status filter; deadline with the time left or overdue.
 */
export default function Cases() {
  const t = useMessages(response);
  const f = useFormat();
  const [status, setStatus] = useState<CaseStatus | 'all'>('all');
  const pages = useCursorPages();
  const query = useQuery({
    queryKey: ['cases', status, pages.cursor],
    queryFn: () =>
      call(() =>
        api.GET('/api/v1/cases', {
          params: {
            query: {
              limit: 50,
              cursor: pages.cursor,
              status: status === 'all' ? undefined : status,
            },
          },
        }),
      ),
  });
  const open = (c: Case) => c.status === 'open' || c.status === 'acknowledged';
  const columns = [
    {
      title: t('unit'),
      key: 'unit',
      render: (_: unknown, c: Case) => (
        <Link to={`/cases/${c.id}`} style={LINK_STYLE}>
          {c.unitName}
        </Link>
      ),
    },
    { title: t('shortCode'), dataIndex: 'unitShortCode', key: 'code' },
    {
      title: t('status'),
      key: 'status',
      render: (_: unknown, c: Case) => <CaseStatusTag status={c.status} />,
    },
    {
      title: t('infectedAddresses'),
      key: 'addresses',
      align: 'right' as const,
      render: (_: unknown, c: Case) => f.number(c.infectedAddresses),
    },
    {
      title: t('c2Count'),
      key: 'c2',
      align: 'right' as const,
      render: (_: unknown, c: Case) => f.number(c.c2Count),
    },
    {
      title: t('lastSeen'),
      key: 'lastSeen',
      render: (_: unknown, c: Case) => f.dateTime(c.lastSeen),
    },
    {
      title: t('deadline'),
      key: 'deadline',
      render: (_: unknown, c: Case) => (
        <DueAt at={c.deadlineAt} overdue={c.overdue} open={open(c)} />
      ),
    },
  ];
  return (
    <Page title={t('casesTitle')}>
      <Typography.Paragraph type="secondary">{t('casesLead')}</Typography.Paragraph>
      <Form layout="inline" style={{ marginBottom: 16 }}>
        <Form.Item label={t('status')} htmlFor="case-status">
          <Select
            id="case-status"
            style={{ minWidth: 220 }}
            value={status}
            onChange={(v: CaseStatus | 'all') => {
              setStatus(v);
              pages.reset();
            }}
            options={[
              { value: 'all', label: t('allStatuses') },
              ...CASE_STATUSES.map((s) => ({ value: s, label: t(`case_${s}`) })),
            ]}
          />
        </Form.Item>
      </Form>
      <QueryState query={query} isEmpty={(d) => d.items.length === 0 && !pages.hasPrevious}>
        {(data) => (
          <>
            <Table<Case>
              aria-label={t('casesCaption')}
              rowKey="id"
              columns={columns}
              dataSource={data.items}
              pagination={false}
              onRow={(c) => (c.overdue ? { style: { background: '#fff1f0' } } : {})}
            />
            <Pager pages={pages} nextCursor={data.nextCursor} />
          </>
        )}
      </QueryState>
    </Page>
  );
}
