import { useQueries, useQuery } from '@tanstack/react-query';
import { Card, Col, Flex, Row, Statistic, Table, Typography } from 'antd';
import { Link } from 'react-router';
import { api, call, type Schemas } from '../../api/client';
import { useFormat, useMessages } from '../../i18n/i18n';
import { common } from '../../i18n/messages';
import { Page } from '../../ui/Page';
import { QueryState } from '../../ui/QueryState';
import { analyst } from './messages';
import { TextLink } from './TextLink';

type Status = Schemas['BlockingRequestResponse']['status'];
const STATUSES: Status[] = ['draft', 'pending_approval', 'published', 'completed', 'withdrawn'];
/** Counting stops here (5 pages of 200): past it the card shows "1,000+". */
const PAGE = 200;
const MAX_PAGES = 5;
/** An ISP that has not pulled for this long is behind even without pending changes. */
const STALE_SECONDS = 6 * 3600;

async function countRequests(status: Status): Promise<{ count: number; more: boolean }> {
  let count = 0;
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const data = await call(() =>
      api.GET('/api/v1/blocking-requests', { params: { query: { status, limit: PAGE, cursor } } }),
    );
    count += data.items.length;
    if (!data.nextCursor) return { count, more: false };
    cursor = data.nextCursor;
  }
  return { count, more: true };
}

function StatusCards() {
  const t = useMessages(analyst);
  const c = useMessages(common);
  const f = useFormat();
  const counts = useQueries({
    queries: STATUSES.map((status) => ({
      queryKey: ['dashboard', 'count', status],
      queryFn: () => countRequests(status),
    })),
  });
  return (
    <section aria-labelledby="by-status">
      <Typography.Title level={2} id="by-status" style={{ fontSize: 18 }}>
        {t('requestsByStatus')}
      </Typography.Title>
      <Row gutter={[16, 16]}>
        {STATUSES.map((status, i) => {
          const q = counts[i];
          const value = q.data
            ? q.data.more
              ? t('countAtLeast', { count: f.number(q.data.count) })
              : f.number(q.data.count)
            : q.isError
              ? '—'
              : '…';
          return (
            <Col key={status} xs={12} md={8} lg={4}>
              <Card size="small">
                <Link to={`/requests?status=${status}`}>
                  <Statistic title={c(`status_${status}`)} value={value} loading={q.isPending} />
                </Link>
              </Card>
            </Col>
          );
        })}
      </Row>
    </section>
  );
}

interface OverdueRow {
  assignmentId: string;
  requestId: string;
  documentNumber: string;
  deadlineAt: string;
  isp: string;
}

function OverdueCard() {
  const t = useMessages(analyst);
  const f = useFormat();
  // Every open assignment past its deadline, whatever its request's publication date (the
  // compliance report covers a period): the first 200, earliest deadline first.
  const query = useQuery({
    queryKey: ['dashboard', 'overdue'],
    queryFn: async () => {
      const [page, organizations] = await Promise.all([
        call(() =>
          api.GET('/api/v1/assignments', { params: { query: { overdue: true, limit: 200 } } }),
        ),
        call(() => api.GET('/api/v1/organizations', { params: { query: { limit: 200 } } })),
      ]);
      const names = new Map(organizations.items.map((o) => [o.id, o.name]));
      const rows: OverdueRow[] = page.items
        .map((a) => ({
          assignmentId: a.id,
          requestId: a.requestId,
          documentNumber: a.documentNumber,
          deadlineAt: a.deadlineAt,
          isp: names.get(a.organizationId) ?? a.organizationId,
        }))
        .sort((a, b) => a.deadlineAt.localeCompare(b.deadlineAt));
      return { rows, more: page.nextCursor !== null };
    },
  });
  return (
    <Card
      title={<h2 style={{ fontSize: 16, margin: 0 }}>{t('overdueTitle')}</h2>}
      extra={<TextLink to="/compliance">{t('seeCompliance')}</TextLink>}
    >
      <QueryState query={query}>
        {({ rows, more }) => {
          return (
            <Flex vertical gap="middle">
              <Statistic
                title={t('overdueCount')}
                value={more ? `${f.number(rows.length)}+` : f.number(rows.length)}
              />
              {rows.length === 0 ? (
                <Typography.Text type="secondary">{t('noOverdue')}</Typography.Text>
              ) : (
                <Table<OverdueRow>
                  aria-label={t('overdueTable')}
                  size="small"
                  rowKey="assignmentId"
                  dataSource={rows}
                  pagination={rows.length > 10 ? { pageSize: 10 } : false}
                  columns={[
                    {
                      title: t('documentNumber'),
                      dataIndex: 'documentNumber',
                      render: (number: string, row) => (
                        <TextLink to={`/requests/${row.requestId}`}>{number}</TextLink>
                      ),
                    },
                    { title: t('isp'), dataIndex: 'isp' },
                    { title: t('deadline'), dataIndex: 'deadlineAt', render: f.dateTime },
                  ]}
                />
              )}
            </Flex>
          );
        }}
      </QueryState>
    </Card>
  );
}

function FeedCard() {
  const t = useMessages(analyst);
  const f = useFormat();
  const query = useQuery({
    queryKey: ['dashboard', 'feed-status'],
    queryFn: () => call(() => api.GET('/api/v1/feed/status')),
  });
  return (
    <Card title={<h2 style={{ fontSize: 16, margin: 0 }}>{t('feedBehindTitle')}</h2>}>
      <QueryState query={query}>
        {(status) => {
          const behind = status.isps.filter(
            (isp) =>
              isp.pendingChanges > 0 ||
              isp.secondsSinceLastPull === null ||
              isp.secondsSinceLastPull > STALE_SECONDS,
          );
          if (behind.length === 0)
            return <Typography.Text type="secondary">{t('feedAllCurrent')}</Typography.Text>;
          return (
            <Table<Schemas['IspFeedStatus']>
              aria-label={t('feedBehindTable')}
              size="small"
              rowKey="organizationId"
              dataSource={behind}
              pagination={behind.length > 10 ? { pageSize: 10 } : false}
              columns={[
                { title: t('isp'), dataIndex: 'name' },
                {
                  title: t('heldVersion'),
                  dataIndex: 'heldVersion',
                  render: (v: number | null) => f.number(v),
                },
                {
                  title: t('currentVersion'),
                  key: 'current',
                  render: () => f.number(status.currentVersion),
                },
                {
                  title: t('pendingChanges'),
                  dataIndex: 'pendingChanges',
                  render: (v: number) => f.number(v),
                },
                {
                  title: t('sinceLastPull'),
                  dataIndex: 'secondsSinceLastPull',
                  render: (s: number | null) =>
                    s === null ? t('neverPulled') : t('ago', { duration: f.duration(s) }),
                },
              ]}
            />
          );
        }}
      </QueryState>
    </Card>
  );
}

/** The analyst's overview: requests by status, overdue assignments, ISPs behind on the feed. */
export default function Dashboard() {
  const t = useMessages(analyst);
  return (
    <Page title={t('dashboardTitle')}>
      <Flex vertical gap="large">
        <StatusCards />
        <Row gutter={[16, 16]}>
          <Col xs={24} xl={12}>
            <OverdueCard />
          </Col>
          <Col xs={24} xl={12}>
            <FeedCard />
          </Col>
        </Row>
      </Flex>
    </Page>
  );
}
