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
import { MailStatusTag, type MailStatus } from './shared';
import { LINK_STYLE } from '../../ui/links';

type Mail = Schemas['MailInboxResponse'];
const STATUSES: MailStatus[] = ['quarantined', 'accepted', 'released', 'rejected'];

/** The incident mailbox's quarantine: the responders' review queue (admins read it). */
export default function MailQuarantine() {
  const t = useMessages(response);
  const f = useFormat();
  const [status, setStatus] = useState<MailStatus>('quarantined');
  const pages = useCursorPages();
  const query = useQuery({
    queryKey: ['mail-inbox', status, pages.cursor],
    queryFn: () =>
      call(() =>
        api.GET('/api/v1/mail/inbox', {
          params: { query: { limit: 50, cursor: pages.cursor, status } },
        }),
      ),
  });
  const columns = [
    {
      title: t('subject'),
      key: 'subject',
      render: (_: unknown, m: Mail) => (
        <Link to={`/mail/${m.id}`} style={LINK_STYLE}>
          {m.subject || '—'}
        </Link>
      ),
    },
    {
      title: t('from'),
      key: 'from',
      render: (_: unknown, m: Mail) => m.headerFrom ?? m.fromAddress,
    },
    {
      title: t('receivedAt'),
      key: 'receivedAt',
      render: (_: unknown, m: Mail) => f.dateTime(m.receivedAt),
    },
    {
      title: t('status'),
      key: 'status',
      render: (_: unknown, m: Mail) => <MailStatusTag status={m.status} />,
    },
    { title: t('reason'), key: 'reason', render: (_: unknown, m: Mail) => m.reason ?? '—' },
  ];
  return (
    <Page title={t('mailTitle')}>
      <Typography.Paragraph type="secondary">{t('mailLead')}</Typography.Paragraph>
      <Form layout="inline" style={{ marginBottom: 16 }}>
        <Form.Item label={t('filterMail')} htmlFor="mail-status">
          <Select
            id="mail-status"
            style={{ minWidth: 220 }}
            value={status}
            onChange={(v: MailStatus) => {
              setStatus(v);
              pages.reset();
            }}
            options={STATUSES.map((s) => ({ value: s, label: t(`mail_${s}`) }))}
          />
        </Form.Item>
      </Form>
      <QueryState query={query} isEmpty={(d) => d.items.length === 0 && !pages.hasPrevious}>
        {(data) => (
          <>
            <Table<Mail>
              aria-label={t('mailCaption')}
              rowKey="id"
              columns={columns}
              dataSource={data.items}
              pagination={false}
            />
            <Pager pages={pages} nextCursor={data.nextCursor} />
          </>
        )}
      </QueryState>
    </Page>
  );
}
