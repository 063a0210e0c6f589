import { useState, type ReactNode } from 'react';
import { Link } from 'react-router';
import {
  Alert,
  Button,
  Card,
  Checkbox,
  Col,
  DatePicker,
  Flex,
  Form,
  Row,
  Table,
  Typography,
} from 'antd';
import type { TableColumnsType } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useQuery } from '@tanstack/react-query';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { api, apiUrl, call, download, type Schemas } from '../../api/client';
import { useFormat, useLocale, useMessages, type Translate } from '../../i18n/i18n';
import { ProblemAlert } from '../../ui/ProblemAlert';
import { QueryState } from '../../ui/QueryState';
import { Page } from '../../ui/Page';
import { compliance, type vi } from './messages';

type Isp = Schemas['IspCompliance'];
type Report = Schemas['ComplianceReport'];
type T = Translate<typeof vi>;

/** The window: from the first day's midnight (local) to the midnight after the last day. */
function windowOf([start, end]: [Dayjs, Dayjs]): { from: string; to: string } {
  return {
    from: start.startOf('day').toISOString(),
    to: end.add(1, 'day').startOf('day').toISOString(),
  };
}

const lastDays = (days: number): [Dayjs, Dayjs] => [dayjs().subtract(days, 'day'), dayjs()];

export default function Compliance() {
  const t = useMessages(compliance);
  const fmt = useFormat();
  const [range, setRange] = useState<[Dayjs, Dayjs]>(() => lastDays(30));
  const period = windowOf(range);
  const query = useQuery({
    queryKey: ['compliance', period.from, period.to],
    // The operation also answers CSV (format=csv): ask for JSON, which is the report.
    queryFn: async () =>
      (await call(() =>
        api.GET('/api/v1/compliance', { params: { query: { ...period, format: 'json' } } }),
      )) as Report,
  });

  return (
    <>
      <Page title={t('title')}>
        <Flex wrap gap="large" align="end" style={{ marginBottom: 16 }}>
          <Form layout="vertical" style={{ marginBottom: -24 }}>
            <Form.Item label={t('period')} htmlFor="compliance-period">
              <DatePicker.RangePicker
                id={{ start: 'compliance-period', end: 'compliance-period-end' }}
                value={range}
                allowClear={false}
                format="DD/MM/YYYY"
                onChange={(value) => {
                  if (value?.[0] && value[1]) setRange([value[0], value[1]]);
                }}
                presets={[
                  { label: t('last7'), value: lastDays(7) },
                  { label: t('last30'), value: lastDays(30) },
                  { label: t('last90'), value: lastDays(90) },
                  { label: t('thisYear'), value: [dayjs().startOf('year'), dayjs()] },
                ]}
              />
            </Form.Item>
          </Form>
          <Downloads period={period} t={t} />
        </Flex>
        <QueryState query={query}>
          {(report) => (
            <>
              <Typography.Paragraph type="secondary">
                {t('generatedAt', {
                  time: fmt.dateTime(report.generatedAt),
                  from: fmt.dateTime(report.from),
                  to: fmt.dateTime(report.to),
                })}
              </Typography.Paragraph>
              <IspTable report={report} t={t} />
              {report.isps.length > 0 ? <Charts isps={report.isps} t={t} /> : null}
              <Overdue report={report} t={t} />
              <Rejections report={report} t={t} />
            </>
          )}
        </QueryState>
      </Page>
    </>
  );
}

function Downloads({ period, t }: { period: { from: string; to: string }; t: T }) {
  const [bom, setBom] = useState(false);
  const [busy, setBusy] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<
    { ok: true; what: string } | { ok: false; error: unknown }
  >();
  const run = async (key: string, url: string, name: string) => {
    const what = key === 'csv' ? t('fileCsv') : t('filePdf');
    setBusy(key);
    setOutcome(undefined);
    try {
      await download(url, name);
      setOutcome({ ok: true, what });
    } catch (error) {
      setOutcome({ ok: false, error });
    } finally {
      setBusy(null);
    }
  };
  return (
    <section aria-label={t('downloads')}>
      <Flex wrap gap="small" align="center">
        <Button
          loading={busy === 'csv'}
          onClick={() =>
            void run(
              'csv',
              apiUrl('/api/v1/compliance.csv', { ...period, bom: bom ? 'true' : undefined }),
              'compliance.csv',
            )
          }
        >
          {t('csv')}
        </Button>
        <Checkbox checked={bom} onChange={(e) => setBom(e.target.checked)}>
          {t('csvBom')}
        </Checkbox>
        <Button
          loading={busy === 'pdf-vi'}
          onClick={() =>
            void run(
              'pdf-vi',
              apiUrl('/api/v1/compliance/report.pdf', { ...period, lang: 'vi' }),
              'compliance-vi.pdf',
            )
          }
        >
          {t('pdfVi')}
        </Button>
        <Button
          loading={busy === 'pdf-en'}
          onClick={() =>
            void run(
              'pdf-en',
              apiUrl('/api/v1/compliance/report.pdf', { ...period, lang: 'en' }),
              'compliance-en.pdf',
            )
          }
        >
          {t('pdfEn')}
        </Button>
      </Flex>
      {outcome?.ok ? (
        <Alert
          role="status"
          type="success"
          showIcon
          style={{ marginTop: 8 }}
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

function IspTable({ report, t }: { report: Report; t: T }) {
  const fmt = useFormat();
  const num = (value: number) => fmt.number(value);
  const right = 'right' as const;
  const columns: TableColumnsType<Isp> = [
    {
      title: t('isp'),
      key: 'isp',
      render: (_, isp) => (
        <>
          <div style={{ whiteSpace: 'nowrap' }}>{isp.organization.name}</div>
          <Typography.Text type="secondary">{isp.organization.shortCode}</Typography.Text>
        </>
      ),
    },
    { title: t('assignments'), dataIndex: 'assignments', align: right, render: num },
    { title: t('applied'), dataIndex: 'applied', align: right, render: num },
    { title: t('partiallyApplied'), dataIndex: 'partiallyApplied', align: right, render: num },
    { title: t('rejected'), dataIndex: 'rejected', align: right, render: num },
    { title: t('open'), dataIndex: 'open', align: right, render: num },
    {
      title: t('overdue'),
      dataIndex: 'overdue',
      align: right,
      render: (value: number) =>
        value > 0 ? <Typography.Text type="danger">{num(value)}</Typography.Text> : num(value),
    },
    {
      title: t('onTimePercent'),
      key: 'onTime',
      align: right,
      render: (_, isp) => (
        <>
          <div>{fmt.percent(isp.onTimePercent)}</div>
          <Typography.Text type="secondary" style={{ whiteSpace: 'nowrap' }}>
            {t('onTimeOf', { onTime: isp.onTime })}
          </Typography.Text>
        </>
      ),
    },
    {
      title: t('medianApply'),
      dataIndex: 'medianSecondsToApply',
      align: right,
      render: (s: number | null) => fmt.duration(s),
    },
    {
      title: t('p90Apply'),
      dataIndex: 'p90SecondsToApply',
      align: right,
      render: (s: number | null) => fmt.duration(s),
    },
    {
      title: t('medianAck'),
      dataIndex: 'medianSecondsToAcknowledge',
      align: right,
      render: (s: number | null) => fmt.duration(s),
    },
    {
      title: t('feed'),
      children: [
        {
          title: t('lastPull'),
          dataIndex: 'lastPullAt',
          render: (at: string | null) => (at ? fmt.dateTime(at) : t('neverPulled')),
        },
        {
          title: t('versionHeld'),
          key: 'version',
          align: right,
          render: (_, isp) =>
            t('versionOf', {
              held: fmt.number(isp.versionHeld),
              current: fmt.number(isp.currentVersion),
            }),
        },
        {
          title: t('versionLag'),
          dataIndex: 'versionLag',
          align: right,
          render: (value: number) =>
            value > 0 ? (
              <Typography.Text type="warning" strong>
                {num(value)}
              </Typography.Text>
            ) : (
              num(value)
            ),
        },
      ],
    },
  ];
  // The table is wider than the screen: its own scrolling region, reachable by keyboard.
  return (
    <div role="region" aria-label={t('tableCaption')} tabIndex={0} style={{ overflowX: 'auto' }}>
      <Table<Isp>
        // No scrollbar measurement: it injects a <style> without the CSP nonce (rc-table).
        caption={<span className="visually-hidden">{t('tableCaption')}</span>}
        rowKey={(isp) => isp.organization.id}
        columns={columns}
        dataSource={report.isps}
        pagination={false}
        size="middle"
        bordered
        locale={{ emptyText: <Typography.Text>{t('noIsp')}</Typography.Text> }}
      />
    </div>
  );
}

/** One chart: its heading, the chart as an image with a text summary, and a note. */
function ChartCard({
  title,
  summary,
  note,
  noData,
  children,
}: {
  title: string;
  summary: string;
  note: string;
  /** No ISP has a figure for this chart in the period: said above the (empty) chart. */
  noData?: boolean;
  children: ReactNode;
}) {
  const t = useMessages(compliance);
  return (
    <Card size="small" style={{ height: '100%' }}>
      <Typography.Title level={3} style={{ fontSize: 16, marginTop: 0 }}>
        {title}
      </Typography.Title>
      {noData ? (
        <Typography.Paragraph type="secondary" style={{ marginBottom: 4 }}>
          {t('chartNoData')}
        </Typography.Paragraph>
      ) : null}
      <div role="img" aria-label={summary} style={{ width: '100%', height: 260 }}>
        {children}
      </div>
      <Typography.Paragraph type="secondary" style={{ marginBottom: 0, fontSize: 12 }}>
        {note}
      </Typography.Paragraph>
    </Card>
  );
}

function Charts({ isps, t }: { isps: Isp[]; t: T }) {
  const fmt = useFormat();
  const { locale } = useLocale();
  const hours = (s: number | null) => (s === null ? null : Math.round((s / 3600) * 10) / 10);
  const data = isps.map((isp) => ({
    name: isp.organization.shortCode || isp.organization.name,
    onTime: isp.onTimePercent,
    median: hours(isp.medianSecondsToApply),
    p90: hours(isp.p90SecondsToApply),
    lag: isp.versionLag,
  }));
  const list = (text: (isp: Isp) => string) =>
    isps.map((isp) => `${isp.organization.name} ${text(isp)}`).join('; ');
  const value = (v: string) => (v === '—' ? t('noValue') : v);
  const axis = { fontSize: 12, fill: '#595959' };
  const hoursTick = (v: number) =>
    new Intl.NumberFormat(locale === 'vi' ? 'vi-VN' : 'en-GB', {
      style: 'unit',
      unit: 'hour',
      unitDisplay: 'narrow',
    }).format(v);
  return (
    <section aria-labelledby="compliance-charts" style={{ marginTop: 24 }}>
      <Typography.Title level={2} id="compliance-charts" style={{ fontSize: 20 }}>
        {t('charts')}
      </Typography.Title>
      <Row gutter={[16, 16]}>
        <Col xs={24} lg={8}>
          <ChartCard
            title={t('chartOnTime')}
            summary={t('chartOnTimeSummary', {
              items: list((isp) => value(fmt.percent(isp.onTimePercent))),
            })}
            note={t('chartSameAsTable')}
            noData={isps.every((isp) => isp.onTimePercent === null)}
          >
            <ResponsiveContainer width="100%" height="100%">
              <BarChart data={data} accessibilityLayer={false}>
                <CartesianGrid strokeDasharray="3 3" />
                <XAxis dataKey="name" tick={axis} />
                <YAxis domain={[0, 100]} unit="%" tick={axis} />
                <Tooltip formatter={(v) => fmt.percent(typeof v === 'number' ? v : null)} />
                <Bar dataKey="onTime" name={t('onTimePercent')} fill="#0b5cad" />
              </BarChart>
            </ResponsiveContainer>
          </ChartCard>
        </Col>
        <Col xs={24} lg={8}>
          <ChartCard
            title={t('chartApply')}
            summary={t('chartApplySummary', {
              items: list(
                (isp) =>
                  `${t('median')} ${value(fmt.duration(isp.medianSecondsToApply))}, ${t('p90')} ${value(fmt.duration(isp.p90SecondsToApply))}`,
              ),
            })}
            note={t('chartSameAsTable')}
            noData={isps.every((isp) => isp.medianSecondsToApply === null)}
          >
            <ResponsiveContainer width="100%" height="100%">
              <BarChart data={data} accessibilityLayer={false}>
                <CartesianGrid strokeDasharray="3 3" />
                <XAxis dataKey="name" tick={axis} />
                <YAxis tick={axis} tickFormatter={hoursTick} />
                <Tooltip formatter={(v) => fmt.duration(typeof v === 'number' ? v * 3600 : null)} />
                <Legend />
                <Bar dataKey="median" name={t('median')} fill="#0b5cad" />
                <Bar dataKey="p90" name={t('p90')} fill="#d46b08" />
              </BarChart>
            </ResponsiveContainer>
          </ChartCard>
        </Col>
        <Col xs={24} lg={8}>
          <ChartCard
            title={t('chartLag')}
            summary={t('chartLagSummary', {
              items: list((isp) => fmt.number(isp.versionLag)),
            })}
            note={t('chartSameAsTable')}
          >
            <ResponsiveContainer width="100%" height="100%">
              <BarChart data={data} accessibilityLayer={false}>
                <CartesianGrid strokeDasharray="3 3" />
                <XAxis dataKey="name" tick={axis} />
                <YAxis allowDecimals={false} tick={axis} />
                <Tooltip formatter={(v) => fmt.number(typeof v === 'number' ? v : null)} />
                <Bar dataKey="lag" name={t('versionLag')} fill="#389e0d" />
              </BarChart>
            </ResponsiveContainer>
          </ChartCard>
        </Col>
      </Row>
    </section>
  );
}

type OverdueRow = Schemas['ComplianceOverdue'] & {
  isp: string;
};

function Overdue({ report, t }: { report: Report; t: T }) {
  const fmt = useFormat();
  const rows: OverdueRow[] = report.isps
    .flatMap((isp) => isp.overdueAssignments.map((o) => ({ ...o, isp: isp.organization.name })))
    .sort((a, b) => a.deadlineAt.localeCompare(b.deadlineAt));
  const generated = Date.parse(report.generatedAt);
  return (
    <section aria-labelledby="compliance-overdue" style={{ marginTop: 24 }}>
      <Typography.Title level={2} id="compliance-overdue" style={{ fontSize: 20 }}>
        {t('overdueTitle')}
      </Typography.Title>
      <Table<OverdueRow>
        // No scrollbar measurement: it injects a <style> without the CSP nonce (rc-table).
        caption={<span className="visually-hidden">{t('overdueCaption')}</span>}
        rowKey="assignmentId"
        dataSource={rows}
        pagination={false}
        size="small"
        locale={{ emptyText: <Typography.Text>{t('noOverdue')}</Typography.Text> }}
        columns={[
          {
            title: t('document'),
            dataIndex: 'documentNumber',
            render: (doc: string, row) => <Link to={`/requests/${row.requestId}`}>{doc}</Link>,
          },
          { title: t('isp'), dataIndex: 'isp' },
          {
            title: t('deadline'),
            dataIndex: 'deadlineAt',
            render: (at: string) => fmt.dateTime(at),
          },
          {
            title: t('late'),
            key: 'late',
            render: (_, row) => (
              <Typography.Text type="danger">
                {fmt.duration(Math.max(0, (generated - Date.parse(row.deadlineAt)) / 1000))}
              </Typography.Text>
            ),
          },
        ]}
      />
    </section>
  );
}

type RejectionRow = Schemas['ComplianceRejection'] & {
  isp: string;
};

function Rejections({ report, t }: { report: Report; t: T }) {
  const fmt = useFormat();
  const rows: RejectionRow[] = report.isps
    .flatMap((isp) => isp.rejections.map((r) => ({ ...r, isp: isp.organization.name })))
    .sort((a, b) => a.at.localeCompare(b.at));
  return (
    <section aria-labelledby="compliance-rejections" style={{ marginTop: 24 }}>
      <Typography.Title level={2} id="compliance-rejections" style={{ fontSize: 20 }}>
        {t('rejectionsTitle')}
      </Typography.Title>
      <Table<RejectionRow>
        // No scrollbar measurement: it injects a <style> without the CSP nonce (rc-table).
        caption={<span className="visually-hidden">{t('rejectionsCaption')}</span>}
        rowKey="assignmentId"
        dataSource={rows}
        pagination={false}
        size="small"
        locale={{ emptyText: <Typography.Text>{t('noRejections')}</Typography.Text> }}
        columns={[
          {
            title: t('document'),
            dataIndex: 'documentNumber',
            render: (doc: string, row) => <Link to={`/requests/${row.requestId}`}>{doc}</Link>,
          },
          { title: t('isp'), dataIndex: 'isp' },
          {
            title: t('reason'),
            dataIndex: 'reason',
            render: (r: string | null) => r ?? t('noReason'),
          },
          { title: t('rejectedAt'), dataIndex: 'at', render: (at: string) => fmt.dateTime(at) },
        ]}
      />
    </section>
  );
}
