import { useEffect, useState } from 'react';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  Alert,
  Button,
  Card,
  Col,
  Flex,
  Form,
  Input,
  InputNumber,
  Progress,
  Radio,
  Row,
  Select,
  Statistic,
  Table,
  Typography,
} from 'antd';
import { api, call } from '../../api/client';
import { useFormat, useMessages } from '../../i18n/i18n';
import { Page } from '../../ui/Page';
import { Pager } from '../../ui/Pager';
import { ProblemAlert } from '../../ui/ProblemAlert';
import { QueryState } from '../../ui/QueryState';
import { useCursorPages } from '../../ui/cursor';
import { analyst } from './messages';
import { uploadImport, type ImportJob, type ImportOptions } from './upload';
import { TLPS } from './values';

const DONE: ImportJob['status'][] = ['succeeded', 'failed'];

/** One import, polled every 500 ms until it succeeded or failed. */
function useImportJob(id: string | null) {
  return useQuery({
    queryKey: ['import', id],
    enabled: Boolean(id),
    queryFn: () => call(() => api.GET('/api/v1/imports/{id}', { params: { path: { id: id! } } })),
    refetchInterval: (q) => (q.state.data && DONE.includes(q.state.data.status) ? false : 500),
  });
}

function useImports(cursor: string | undefined) {
  return useQuery({
    queryKey: ['imports', cursor],
    placeholderData: keepPreviousData,
    queryFn: () =>
      call(() => api.GET('/api/v1/imports', { params: { query: { limit: 20, cursor } } })),
  });
}

type FormValues = Omit<ImportOptions, 'mode'> & { mode: ImportOptions['mode'] };

function ImportForm({ onStarted }: { onStarted: (job: ImportJob) => void }) {
  const t = useMessages(analyst);
  const [file, setFile] = useState<File | null>(null);
  const [fileError, setFileError] = useState(false);
  const [upload, setUpload] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);

  async function start(values: FormValues) {
    if (!file) {
      setFileError(true);
      return;
    }
    setError(null);
    setUpload(0);
    try {
      onStarted(await uploadImport(file, values, setUpload));
    } catch (e) {
      setError(e);
    } finally {
      setUpload(null);
    }
  }

  return (
    <Card title={<h2 style={{ fontSize: 16, margin: 0 }}>{t('importForm')}</h2>}>
      <Typography.Paragraph>{t('importLead')}</Typography.Paragraph>
      <Form<FormValues>
        layout="vertical"
        initialValues={{ mode: 'reject' }}
        onFinish={(v) => void start(v)}
      >
        <Form.Item
          label={t('file')}
          htmlFor="import-file"
          validateStatus={fileError ? 'error' : undefined}
          help={fileError ? t('fileRequired') : undefined}
        >
          <input
            id="import-file"
            type="file"
            accept=".txt,.csv,.json,text/plain,text/csv,application/json"
            onChange={(e) => {
              setFile(e.target.files?.[0] ?? null);
              setFileError(false);
            }}
          />
        </Form.Item>
        <Form.Item label={t('mode')} name="mode">
          <Radio.Group
            options={[
              { value: 'reject', label: t('modeReject') },
              { value: 'skip', label: t('modeSkip') },
            ]}
          />
        </Form.Item>
        <Row gutter={16}>
          <Col xs={24} md={8}>
            <Form.Item label={t('tagsHint')} name="tags">
              <Input maxLength={1000} />
            </Form.Item>
          </Col>
          <Col xs={12} md={5}>
            <Form.Item label={t('tlp')} name="tlp">
              <Select allowClear options={TLPS.map((v) => ({ value: v, label: `TLP:${v}` }))} />
            </Form.Item>
          </Col>
          <Col xs={12} md={6}>
            <Form.Item label={t('source')} name="source">
              <Input maxLength={200} />
            </Form.Item>
          </Col>
          <Col xs={12} md={5}>
            <Form.Item label={t('confidence')} name="confidence">
              <InputNumber min={0} max={100} precision={0} style={{ width: '100%' }} />
            </Form.Item>
          </Col>
        </Row>
        <Flex vertical gap="middle">
          {upload !== null ? (
            <Progress
              aria-label={t('uploading', { percent: upload })}
              percent={upload}
              status="active"
            />
          ) : null}
          {error ? <ProblemAlert error={error} /> : null}
          <div>
            <Button type="primary" htmlType="submit" loading={upload !== null}>
              {t('startImport')}
            </Button>
          </div>
        </Flex>
      </Form>
    </Card>
  );
}

function JobProgress({ job }: { job: ImportJob }) {
  const t = useMessages(analyst);
  const f = useFormat();
  const done = DONE.includes(job.status);
  const percent = job.status === 'receiving' ? Math.round(job.progress.percent ?? 0) : 100;
  return (
    <Flex vertical gap="small">
      <Progress
        aria-label={t('importProgress')}
        percent={percent}
        status={job.status === 'failed' ? 'exception' : done ? 'success' : 'active'}
      />
      <Typography.Text role="status">
        {t(`import_${job.status}`)} ·{' '}
        {t('rowsRead', {
          rows: f.number(job.progress.rowsRead),
          bytes: f.number(job.progress.bytesRead),
        })}
      </Typography.Text>
    </Flex>
  );
}

function JobReport({ job }: { job: ImportJob }) {
  const t = useMessages(analyst);
  const f = useFormat();
  const rejected = job.report.rejectedRows;
  return (
    <Flex vertical gap="middle">
      {job.status === 'failed' ? (
        <Alert
          type="error"
          showIcon
          role="alert"
          title={t('importFailed', { error: job.error ?? '' })}
        />
      ) : null}
      <Row gutter={16}>
        <Col span={8}>
          <Statistic title={t('createdCount')} value={f.number(job.report.created)} />
        </Col>
        <Col span={8}>
          <Statistic title={t('alreadyPresent')} value={f.number(job.report.alreadyPresent)} />
        </Col>
        <Col span={8}>
          <Statistic title={t('rejectedCount')} value={f.number(job.report.rejected)} />
        </Col>
      </Row>
      {rejected.length > 0 ? (
        <>
          {job.report.rejected > rejected.length ? (
            <Typography.Text type="secondary">{t('rejectedFirst')}</Typography.Text>
          ) : null}
          <Table
            aria-label={t('rejectedTable')}
            size="small"
            rowKey={(r) => `${r.line}:${r.value}`}
            dataSource={rejected}
            pagination={{ pageSize: 20, showSizeChanger: false, hideOnSinglePage: true }}
            columns={[
              {
                title: t('line'),
                dataIndex: 'line',
                width: 100,
                render: (n: number) => f.number(n),
              },
              {
                title: t('value'),
                dataIndex: 'value',
                render: (v: string) => <Typography.Text code>{v}</Typography.Text>,
              },
              { title: t('reason'), dataIndex: 'reason' },
            ]}
          />
        </>
      ) : null}
    </Flex>
  );
}

function CurrentJob({ id }: { id: string }) {
  const t = useMessages(analyst);
  const client = useQueryClient();
  const query = useImportJob(id);
  const finished = query.data ? DONE.includes(query.data.status) : false;
  useEffect(() => {
    if (finished) void client.invalidateQueries({ queryKey: ['imports'] });
  }, [finished, client]);
  return (
    <Card title={<h2 style={{ fontSize: 16, margin: 0 }}>{t('reportTitle')}</h2>}>
      <QueryState query={query}>
        {(job) => (
          <Flex vertical gap="middle">
            <JobProgress job={job} />
            {DONE.includes(job.status) ? <JobReport job={job} /> : null}
          </Flex>
        )}
      </QueryState>
    </Card>
  );
}

function RecentImports({ onView }: { onView: (id: string) => void }) {
  const t = useMessages(analyst);
  const f = useFormat();
  const pages = useCursorPages();
  const query = useImports(pages.cursor);
  return (
    <Card title={<h2 style={{ fontSize: 16, margin: 0 }}>{t('recentImports')}</h2>}>
      <QueryState query={query}>
        {(data) => (
          <>
            <Table<ImportJob>
              aria-label={t('recentImportsTable')}
              size="small"
              rowKey="id"
              dataSource={data.items}
              pagination={false}
              columns={[
                { title: t('created'), dataIndex: 'createdAt', render: f.dateTime },
                { title: t('format'), dataIndex: 'format' },
                {
                  title: t('mode'),
                  dataIndex: 'mode',
                  render: (m: string) => (m === 'skip' ? t('modeSkip') : t('modeReject')),
                },
                {
                  title: t('status'),
                  dataIndex: 'status',
                  render: (s: ImportJob['status']) => t(`import_${s}`),
                },
                {
                  title: t('rows'),
                  key: 'rows',
                  render: (_: unknown, j) => f.number(j.progress.rowsRead),
                },
                {
                  title: t('createdCount'),
                  key: 'created',
                  render: (_: unknown, j) => f.number(j.report.created),
                },
                {
                  title: t('rejectedCount'),
                  key: 'rejected',
                  render: (_: unknown, j) => f.number(j.report.rejected),
                },
                {
                  title: t('view'),
                  key: 'view',
                  render: (_: unknown, j) => (
                    <Button
                      size="small"
                      onClick={() => onView(j.id)}
                      aria-label={t('viewImport', { time: f.dateTime(j.createdAt) })}
                    >
                      {t('view')}
                    </Button>
                  ),
                },
              ]}
            />
            <Pager pages={pages} nextCursor={data.nextCursor} />
          </>
        )}
      </QueryState>
    </Card>
  );
}

/** Bulk import from a file: the upload, the service's progress, the report, recent imports. */
export default function Imports() {
  const t = useMessages(analyst);
  const client = useQueryClient();
  const [current, setCurrent] = useState<string | null>(null);
  return (
    <Page title={t('importsTitle')}>
      <Flex vertical gap="large">
        <ImportForm
          onStarted={(job) => {
            setCurrent(job.id);
            void client.invalidateQueries({ queryKey: ['imports'] });
          }}
        />
        {current ? <CurrentJob key={current} id={current} /> : null}
        <RecentImports onView={setCurrent} />
      </Flex>
    </Page>
  );
}
