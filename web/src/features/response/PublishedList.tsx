import { useState } from 'react';
import { Link } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { Alert, Button, Checkbox, Flex, Radio, Space, Table, Typography } from 'antd';
import { api, apiUrl, call, download, type Schemas } from '../../api/client';
import { useFormat, useMessages } from '../../i18n/i18n';
import { Page } from '../../ui/Page';
import { QueryState } from '../../ui/QueryState';
import { response } from './messages';
import { CaseStatusTag, DueAt } from './shared';
import { LINK_STYLE } from '../../ui/links';
import { ProblemAlert } from '../../ui/ProblemAlert';

type Item = Schemas['PublishedListItem'];

/** The list of units with open cases, as the Department publishes it; CSV and PDF in vi or en. */
export default function PublishedList() {
  const t = useMessages(response);
  const f = useFormat();
  const query = useQuery({
    queryKey: ['published-botnet-units'],
    // format=json (the default): the other formats are the downloads below.
    queryFn: async () =>
      (await call(() =>
        api.GET('/api/v1/published/botnet-units', { params: { query: { format: 'json' } } }),
      )) as Schemas['PublishedList'],
  });
  const columns = [
    {
      title: t('unit'),
      key: 'unit',
      render: (_: unknown, i: Item) => (
        <Link to={`/cases/${i.caseId}`} style={LINK_STYLE}>
          {i.unitName}
        </Link>
      ),
    },
    { title: t('shortCode'), dataIndex: 'unitShortCode', key: 'code' },
    {
      title: t('infectedAddresses'),
      key: 'addresses',
      align: 'right' as const,
      render: (_: unknown, i: Item) => f.number(i.infectedAddresses),
    },
    {
      title: t('c2Count'),
      key: 'c2',
      align: 'right' as const,
      render: (_: unknown, i: Item) => f.number(i.c2Count),
    },
    { title: t('since'), key: 'since', render: (_: unknown, i: Item) => f.dateTime(i.since) },
    {
      title: t('lastSeen'),
      key: 'lastSeen',
      render: (_: unknown, i: Item) => f.dateTime(i.lastSeen),
    },
    {
      title: t('status'),
      key: 'status',
      render: (_: unknown, i: Item) => <CaseStatusTag status={i.status} />,
    },
    {
      title: t('deadline'),
      key: 'deadline',
      render: (_: unknown, i: Item) => (
        <DueAt
          at={i.deadlineAt}
          overdue={i.status !== 'remediated' && new Date(i.deadlineAt).getTime() < Date.now()}
          open={i.status !== 'remediated'}
        />
      ),
    },
  ];
  return (
    <Page title={t('publishedTitle')}>
      <Typography.Paragraph type="secondary">{t('publishedLead')}</Typography.Paragraph>
      <Downloads />
      <QueryState query={query} isEmpty={(d) => d.items.length === 0}>
        {(data) => (
          <Space direction="vertical" style={{ width: '100%' }}>
            <Typography.Text type="secondary">
              {t('generatedAt', { time: f.dateTime(data.generatedAt) })}
            </Typography.Text>
            {data.truncated ? <Alert type="warning" showIcon title={t('truncated')} /> : null}
            <Table<Item>
              aria-label={t('publishedCaption')}
              rowKey="caseId"
              columns={columns}
              dataSource={data.items}
              pagination={
                data.items.length > 100 ? { pageSize: 100, showSizeChanger: false } : false
              }
            />
          </Space>
        )}
      </QueryState>
    </Page>
  );
}

function Downloads() {
  const t = useMessages(response);
  const [lang, setLang] = useState<'vi' | 'en'>('vi');
  const [bom, setBom] = useState(false);
  const [busy, setBusy] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<
    { ok: true; what: string } | { ok: false; error: unknown }
  >();
  const run = async (format: 'csv' | 'pdf') => {
    setBusy(format);
    setOutcome(undefined);
    try {
      const url = apiUrl('/api/v1/published/botnet-units', {
        format,
        lang,
        bom: format === 'csv' && bom ? 'true' : undefined,
      });
      await download(url, `botnet-units.${format}`);
      setOutcome({ ok: true, what: format.toUpperCase() });
    } catch (error) {
      setOutcome({ ok: false, error });
    } finally {
      setBusy(null);
    }
  };
  return (
    <section aria-label={t('downloadCsv')} style={{ marginBottom: 16 }}>
      <Flex wrap gap="small" align="center">
        <Radio.Group
          aria-label={t('fileLanguage')}
          optionType="button"
          value={lang}
          onChange={(e) => setLang(e.target.value as 'vi' | 'en')}
          options={[
            { value: 'vi', label: 'Tiếng Việt' },
            { value: 'en', label: 'English' },
          ]}
        />
        <Checkbox checked={bom} onChange={(e) => setBom(e.target.checked)}>
          {t('bom')}
        </Checkbox>
        <Button loading={busy === 'csv'} onClick={() => void run('csv')}>
          {t('downloadCsv')}
        </Button>
        <Button loading={busy === 'pdf'} onClick={() => void run('pdf')}>
          {t('downloadPdf')}
        </Button>
      </Flex>
      {outcome?.ok ? (
        <Alert
          style={{ marginTop: 8 }}
          type="success"
          role="status"
          showIcon
          title={t('downloaded', { what: outcome.what })}
        />
      ) : null}
      {outcome && !outcome.ok ? (
        <div style={{ marginTop: 8 }}>
          <ProblemAlert error={outcome.error} />
        </div>
      ) : null}
    </section>
  );
}
