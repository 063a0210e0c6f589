import { useQuery } from '@tanstack/react-query';
import { Card, Descriptions, Space, Table, Typography } from 'antd';
import { api, call, type Schemas } from '../../api/client';
import { useFormat, useMessages } from '../../i18n/i18n';
import { Page } from '../../ui/Page';
import { Pager } from '../../ui/Pager';
import { QueryState } from '../../ui/QueryState';
import { useCursorPages } from '../../ui/cursor';
import { isp } from './messages';
import { ToneTag, type Tone } from './shared';

type Row = Schemas['IspFeedStatus'];
type Receipt = Schemas['FeedReceiptResponse'];

const HASH_TONE: Record<Receipt['hashCheck'], Tone> = {
  matched: 'success',
  mismatch: 'danger',
  not_given: 'neutral',
};

/** The ISP's own feed: the version it holds against the current one, its last pull, receipts. */
export default function FeedStatus() {
  const t = useMessages(isp);
  const status = useQuery({
    queryKey: ['feed-status'],
    queryFn: () => call(() => api.GET('/api/v1/feed/status')),
  });
  return (
    <Page title={t('feedTitle')}>
      <Space direction="vertical" size="large" style={{ width: '100%' }}>
        <QueryState query={status} isEmpty={(d) => d.isps.length === 0}>
          {(data) => (
            <>
              {data.isps.map((row) => (
                <OwnRow key={row.organizationId} row={row} currentVersion={data.currentVersion} />
              ))}
            </>
          )}
        </QueryState>
        <Receipts />
      </Space>
    </Page>
  );
}

function OwnRow({ row, currentVersion }: { row: Row; currentVersion: number }) {
  const t = useMessages(isp);
  const f = useFormat();
  return (
    <Card title={<h2 style={{ fontSize: 18, margin: 0 }}>{row.name}</h2>}>
      <Descriptions
        column={{ xs: 1, md: 2 }}
        size="small"
        styles={{ label: { color: 'rgba(0, 0, 0, 0.72)' } }}
        bordered
      >
        <Descriptions.Item label={t('heldVersion')}>
          {row.heldVersion === null ? t('neverPulled') : f.number(row.heldVersion)}
        </Descriptions.Item>
        <Descriptions.Item label={t('currentVersion')}>
          {f.number(currentVersion)}
        </Descriptions.Item>
        <Descriptions.Item label={t('pendingChanges')}>
          {row.pendingChanges === 0 ? (
            <ToneTag tone="success">{t('upToDate')}</ToneTag>
          ) : (
            <ToneTag tone="warning">{t('lagging', { n: row.pendingChanges })}</ToneTag>
          )}
        </Descriptions.Item>
        <Descriptions.Item label={t('lastPull')}>
          {row.lastPullAt ? (
            <>
              {f.dateTime(row.lastPullAt)}{' '}
              <Typography.Text type="secondary">
                ({t('lastPullAgo', { time: f.duration(row.secondsSinceLastPull) })})
              </Typography.Text>
            </>
          ) : (
            t('neverPulled')
          )}
        </Descriptions.Item>
        <Descriptions.Item label={t('lastFormat')}>{row.lastFormat ?? '—'}</Descriptions.Item>
        <Descriptions.Item label={t('organization')}>{row.shortCode}</Descriptions.Item>
      </Descriptions>
    </Card>
  );
}

function Receipts() {
  const t = useMessages(isp);
  const f = useFormat();
  const pages = useCursorPages();
  const query = useQuery({
    queryKey: ['feed-receipts', pages.cursor],
    queryFn: () =>
      call(() =>
        api.GET('/api/v1/feed/receipts', {
          params: { query: { limit: 20, cursor: pages.cursor } },
        }),
      ),
  });
  const columns = [
    {
      title: t('reportedAt'),
      key: 'createdAt',
      render: (_: unknown, r: Receipt) => f.dateTime(r.createdAt),
    },
    {
      title: t('version'),
      key: 'version',
      render: (_: unknown, r: Receipt) => f.number(r.version),
    },
    { title: t('format'), dataIndex: 'format', key: 'format' },
    {
      title: t('appliedAt'),
      key: 'appliedAt',
      render: (_: unknown, r: Receipt) => f.dateTime(r.appliedAt),
    },
    {
      title: t('mechanism'),
      key: 'mechanism',
      render: (_: unknown, r: Receipt) => t(`mechanism_${r.mechanism}`),
    },
    {
      title: t('hashCheck'),
      key: 'hashCheck',
      render: (_: unknown, r: Receipt) => (
        <ToneTag tone={HASH_TONE[r.hashCheck]}>{t(`hash_${r.hashCheck}`)}</ToneTag>
      ),
    },
    {
      title: t('assignmentsConfirmed'),
      key: 'assignmentsConfirmed',
      align: 'right' as const,
      render: (_: unknown, r: Receipt) => f.number(r.assignmentsConfirmed),
    },
  ];
  return (
    <Card title={<h2 style={{ fontSize: 18, margin: 0 }}>{t('receiptsSection')}</h2>}>
      <Typography.Paragraph type="secondary">{t('receiptsLead')}</Typography.Paragraph>
      <QueryState query={query}>
        {(data) => (
          <>
            <Table<Receipt>
              aria-label={t('receiptsCaption')}
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
