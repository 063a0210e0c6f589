import { useState } from 'react';
import {
  Alert,
  Button,
  Card,
  Checkbox,
  Col,
  DatePicker,
  Descriptions,
  Flex,
  Form,
  Radio,
  Row,
  Select,
  Tag,
  Typography,
} from 'antd';
import type { Dayjs } from 'dayjs';
import { useQuery } from '@tanstack/react-query';
import { api, apiUrl, call, download, type Schemas } from '../../api/client';
import { useFormat, useLocale, useMessages, type Translate } from '../../i18n/i18n';
import { common } from '../../i18n/messages';
import { Page } from '../../ui/Page';
import { ProblemAlert } from '../../ui/ProblemAlert';
import { QueryState } from '../../ui/QueryState';
import { choices, useBlockingRequests, useOrganizations } from './directory';
import { audit, type vi } from './messages';

type T = Translate<typeof vi>;
type PublicKey = Schemas['AuditPublicKeyResponse'];

interface FormValues {
  scope: 'filtered' | 'all';
  period?: [Dayjs | null, Dayjs | null] | null;
  organizationId?: string;
  blockingRequestId?: string;
  lang: 'vi' | 'en';
  bom: boolean;
}

type ExportQuery = NonNullable<Parameters<typeof apiUrl<'/api/v1/audit/exports'>>[1]>;

/** GET /api/v1/audit/exports's query for the form's values (docs/audit.md#exports). */
function exportQuery(values: FormValues): ExportQuery | null {
  const [start, end] = values.period ?? [];
  const filters: ExportQuery =
    values.scope === 'all'
      ? { all: 'true' }
      : {
          from: start?.toISOString(),
          to: end?.toISOString(),
          organizationId: values.organizationId || undefined,
          blockingRequestId: values.blockingRequestId || undefined,
        };
  if (Object.values(filters).every((v) => v === undefined)) return null;
  return { ...filters, lang: values.lang, bom: values.bom ? 'true' : undefined };
}

export default function AuditExport() {
  const t = useMessages(audit);
  return (
    <Page title={t('exportTitle')}>
      <Row gutter={[24, 24]}>
        <Col xs={24} xl={12}>
          <ExportForm t={t} />
        </Col>
        <Col xs={24} xl={12}>
          <PublicKeyCard t={t} />
        </Col>
      </Row>
      <OfflineVerification t={t} />
    </Page>
  );
}

function ExportForm({ t }: { t: T }) {
  const { locale } = useLocale();
  const [form] = Form.useForm<FormValues>();
  const scope = Form.useWatch('scope', form) ?? 'filtered';
  const organizations = useOrganizations();
  const requests = useBlockingRequests();
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<
    { ok: true } | { ok: false; error: unknown } | { ok: false; missing: true }
  >();

  const submit = async (values: FormValues) => {
    const query = exportQuery(values);
    if (!query) {
      setOutcome({ ok: false, missing: true });
      return;
    }
    setBusy(true);
    setOutcome(undefined);
    try {
      await download(apiUrl('/api/v1/audit/exports', query), 'audit-export.zip');
      setOutcome({ ok: true });
    } catch (error) {
      setOutcome({ ok: false, error });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card>
      <Typography.Paragraph>{t('exportLead')}</Typography.Paragraph>
      <Form<FormValues>
        form={form}
        layout="vertical"
        initialValues={{ scope: 'filtered', lang: locale, bom: false }}
        onFinish={(values) => void submit(values)}
      >
        <Form.Item name="scope" label={t('scope')}>
          <Radio.Group
            options={[
              { value: 'filtered', label: t('scopeFiltered') },
              { value: 'all', label: t('scopeAll') },
            ]}
          />
        </Form.Item>
        <Form.Item name="period" label={t('period')}>
          <DatePicker.RangePicker
            showTime={{ format: 'HH:mm' }}
            format="DD/MM/YYYY HH:mm"
            allowEmpty={[true, true]}
            disabled={scope === 'all'}
            style={{ width: '100%' }}
          />
        </Form.Item>
        <Form.Item name="organizationId" label={t('organization')}>
          <Select
            allowClear
            showSearch={{ optionFilterProp: 'label' }}
            disabled={scope === 'all'}
            loading={organizations.isPending}
            options={choices(
              organizations.data?.items,
              (o) => o.id,
              (o) => o.name,
            )}
          />
        </Form.Item>
        <Form.Item name="blockingRequestId" label={t('blockingRequest')}>
          <Select
            allowClear
            showSearch={{ optionFilterProp: 'label' }}
            disabled={scope === 'all'}
            loading={requests.isPending}
            options={choices(
              requests.data?.items,
              (r) => r.id,
              (r) => `${r.documentNumber} — ${r.title}`,
            )}
          />
        </Form.Item>
        <Form.Item name="lang" label={t('csvLanguage')}>
          <Radio.Group
            options={[
              { value: 'vi', label: t('langVi') },
              { value: 'en', label: t('langEn') },
            ]}
          />
        </Form.Item>
        <Form.Item name="bom" valuePropName="checked">
          <Checkbox>{t('bom')}</Checkbox>
        </Form.Item>
        <Button type="primary" htmlType="submit" loading={busy}>
          {t('downloadZip')}
        </Button>
      </Form>
      <div style={{ marginTop: 12 }}>
        {outcome?.ok ? (
          <Alert role="status" type="success" showIcon title={t('downloaded')} />
        ) : null}
        {outcome && !outcome.ok && 'missing' in outcome ? (
          <Alert role="alert" type="warning" showIcon title={t('needFilter')} />
        ) : null}
        {outcome && !outcome.ok && 'error' in outcome ? (
          <ProblemAlert error={outcome.error} />
        ) : null}
      </div>
    </Card>
  );
}

function savePem(pem: string) {
  const href = URL.createObjectURL(new Blob([pem], { type: 'application/x-pem-file' }));
  const link = document.createElement('a');
  link.href = href;
  link.download = 'audit-key.pem';
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(href), 10_000);
}

function PublicKeyCard({ t }: { t: T }) {
  const tc = useMessages(common);
  const fmt = useFormat();
  const [copied, setCopied] = useState<boolean | null>(null);
  const query = useQuery({
    queryKey: ['audit-public-key'],
    staleTime: 300_000,
    queryFn: () => call(() => api.GET('/api/v1/audit/public-key')),
  });
  const copy = async (pem: string) => {
    try {
      await navigator.clipboard.writeText(pem);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  };
  const describe = (key: PublicKey) => [
    { key: 'id', label: t('keyId'), children: <code>{key.keyId}</code> },
    { key: 'alg', label: t('algorithm'), children: key.alg },
    { key: 'created', label: t('createdAt'), children: fmt.dateTime(key.createdAt) },
    {
      key: 'state',
      label: t('keyState'),
      children: key.retiredAt ? (
        <>
          <Tag>{t('retired')}</Tag> {fmt.dateTime(key.retiredAt)}
        </>
      ) : (
        <Tag>{t('signing')}</Tag>
      ),
    },
  ];
  return (
    <Card>
      <Typography.Title level={2} style={{ fontSize: 20, marginTop: 0 }}>
        {t('publicKey')}
      </Typography.Title>
      <Typography.Paragraph>{t('publicKeyLead')}</Typography.Paragraph>
      <QueryState query={query} isEmpty={(data) => data.keys.length === 0}>
        {(data) => {
          const [key, ...others] = data.keys;
          return (
            <>
              <Descriptions column={1} size="small" bordered items={describe(key)} />
              <Typography.Title level={3} style={{ fontSize: 16, marginTop: 16 }}>
                {t('pem')}
              </Typography.Title>
              <pre
                tabIndex={0}
                role="region"
                aria-label={t('pem')}
                style={{ background: '#f5f5f5', padding: 12, overflow: 'auto', fontSize: 12 }}
              >
                {key.pem}
              </pre>
              <Flex gap="small" wrap>
                <Button onClick={() => void copy(key.pem)}>{t('copyPem')}</Button>
                <Button onClick={() => savePem(key.pem)}>{t('downloadPem')}</Button>
              </Flex>
              <div aria-live="polite" style={{ marginTop: 8 }}>
                {copied === true ? <Typography.Text>{tc('copied')}</Typography.Text> : null}
                {copied === false ? (
                  <Typography.Text type="warning">{t('copyFailed')}</Typography.Text>
                ) : null}
              </div>
              {others.length > 0 ? (
                <>
                  <Typography.Title level={3} style={{ fontSize: 16, marginTop: 16 }}>
                    {t('otherKeys')}
                  </Typography.Title>
                  {others.map((other) => (
                    <Descriptions
                      key={other.keyId}
                      column={1}
                      size="small"
                      bordered
                      style={{ marginBottom: 8 }}
                      items={describe(other)}
                    />
                  ))}
                </>
              ) : null}
            </>
          );
        }}
      </QueryState>
    </Card>
  );
}

function Command({ children }: { children: string }) {
  return (
    <pre
      style={{
        background: '#f5f5f5',
        padding: '8px 12px',
        overflow: 'auto',
        fontSize: 13,
        whiteSpace: 'pre-wrap',
      }}
    >
      <code>{children}</code>
    </pre>
  );
}

function OfflineVerification({ t }: { t: T }) {
  return (
    <section aria-labelledby="offline-verification" style={{ marginTop: 24, maxWidth: 960 }}>
      <Typography.Title level={2} id="offline-verification" style={{ fontSize: 20 }}>
        {t('offlineTitle')}
      </Typography.Title>
      <ol style={{ paddingLeft: 20 }}>
        <li>
          <Typography.Paragraph>{t('offlineStep1')}</Typography.Paragraph>
        </li>
        <li>
          <Typography.Paragraph>{t('offlineStep2')}</Typography.Paragraph>
          <Command>
            {
              'npx --no-install threat-exchange audit-verify audit-export-….zip --public-key audit-key.pem'
            }
          </Command>
        </li>
        <li>
          <Typography.Paragraph>{t('offlineStep3')}</Typography.Paragraph>
          <Command>
            {
              'sha256sum threat-exchange-verify.mjs\nnode threat-exchange-verify.mjs audit-export-….zip --public-key audit-key.pem'
            }
          </Command>
        </li>
      </ol>
      <Typography.Paragraph>{t('offlineResult')}</Typography.Paragraph>
    </section>
  );
}
