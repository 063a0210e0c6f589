import { Typography } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { api, call, type Schemas } from '../../api/client';
import { useFormat, useMessages } from '../../i18n/i18n';
import { Page } from '../../ui/Page';
import { Pager } from '../../ui/Pager';
import { QueryState } from '../../ui/QueryState';
import { useCursorPages } from '../../ui/cursor';
import { requests } from './messages';
import {
  ActorName,
  EmptyState,
  SeverityTag,
  useDeadlineText,
  type Severity,
  DataTable,
  RequestLink,
} from './shared';

type Row = Schemas['BlockingRequestResponse'];

/**
 * The approver's queue: the requests pending approval. The API lists newest first and has no
 * other order, so each page (200 requests, the whole queue in practice) is shown oldest first.
 * A pending request cannot be edited, so its last change (updatedAt) is its submission.
 */
export default function Approvals() {
  const t = useMessages(requests);
  const f = useFormat();
  const deadline = useDeadlineText();
  const pages = useCursorPages();
  const query = useQuery({
    queryKey: ['blocking-requests', 'queue', pages.cursor],
    queryFn: () =>
      call(() =>
        api.GET('/api/v1/blocking-requests', {
          params: { query: { status: 'pending_approval', limit: 200, cursor: pages.cursor } },
        }),
      ),
  });
  return (
    <Page title={t('queueTitle')}>
      <Typography.Paragraph type="secondary">{t('queueLead')}</Typography.Paragraph>
      <QueryState
        query={query}
        isEmpty={(data) => data.items.length === 0 && !pages.hasPrevious}
        empty={<EmptyState text={t('queueEmpty')} />}
      >
        {(data) => (
          <>
            <DataTable<Row>
              rowKey="id"
              dataSource={[...data.items].sort((a, b) => a.updatedAt.localeCompare(b.updatedAt))}
              pagination={false}
              caption={<span className="visually-hidden">{t('queueCaption')}</span>}
              columns={[
                {
                  title: t('documentNumber'),
                  dataIndex: 'documentNumber',
                  render: (value: string, r) => <RequestLink id={r.id}>{value}</RequestLink>,
                },
                { title: t('title'), dataIndex: 'title' },
                {
                  title: t('severity'),
                  dataIndex: 'severity',
                  render: (value: Severity) => <SeverityTag severity={value} />,
                },
                {
                  title: t('items'),
                  dataIndex: 'itemCount',
                  align: 'right',
                  render: (value: number) => f.number(value),
                },
                {
                  title: t('submitter'),
                  dataIndex: 'submittedBy',
                  render: (value: string | null) => <ActorName id={value} />,
                },
                {
                  title: t('submittedAt'),
                  dataIndex: 'updatedAt',
                  render: (value: string) => f.dateTime(value),
                },
                { title: t('deadline'), key: 'deadline', render: (_, r) => deadline(r) },
              ]}
            />
            <Pager pages={pages} nextCursor={data.nextCursor} />
          </>
        )}
      </QueryState>
    </Page>
  );
}
