import { useMemo, useState } from 'react';
import { Alert, Button, Card, Form, Input, Select, Space, Table, Typography } from 'antd';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { z } from 'zod/mini';
import { api, call, type Schemas } from '../../api/client';
import { useFormat, useMessages } from '../../i18n/i18n';
import { common } from '../../i18n/messages';
import { useCursorPages } from '../../ui/cursor';
import { Page } from '../../ui/Page';
import { Pager } from '../../ui/Pager';
import { ProblemAlert } from '../../ui/ProblemAlert';
import { QueryState } from '../../ui/QueryState';
import { zodRule } from '../../ui/zod-rule';
import { admin } from './messages';
import {
  ConfirmButton,
  Notice,
  OnceSecret,
  ToneTag,
  useAllOrganizations,
  type Organization,
} from './shared';

type ApiClient = Schemas['ApiClientResponse'];
type WithSecret = Schemas['ApiClientWithSecretResponse'];

/** The API's bounds (CreateApiClientRequest). */
const clientSchema = z.object({
  organizationId: z.uuid(),
  name: z.string().check(z.trim(), z.minLength(1), z.maxLength(200)),
});
type ClientValues = z.infer<typeof clientSchema>;

/** The token request an ISP's system makes (OAuth 2.0 client credentials), ready to paste. */
function curlFor(secret: WithSecret): string {
  return `curl -u '${secret.clientId}:${secret.clientSecret}' ${window.location.origin}/api/v1/auth/token -d grant_type=client_credentials`;
}

function SecretCard({ secret, onClose }: { secret: WithSecret; onClose: () => void }) {
  const t = useMessages(admin);
  const c = useMessages(common);
  return (
    <Card
      title={t('secretTitle', { clientId: secret.clientId })}
      extra={<Button onClick={onClose}>{c('close')}</Button>}
      style={{ marginBottom: 16 }}
    >
      <Typography.Paragraph>
        {t('clientId')}: <Typography.Text code>{secret.clientId}</Typography.Text>
      </Typography.Paragraph>
      <OnceSecret
        testId="client-secret"
        label={t('secretLabel')}
        value={secret.clientSecret}
        warning={t('secretWarning')}
      />
      <OnceSecret testId="client-curl" label={t('curlLabel')} value={curlFor(secret)} />
    </Card>
  );
}

function CreateClient({
  isps,
  onDone,
}: {
  isps: Organization[];
  onDone: (created: WithSecret | null) => void;
}) {
  const t = useMessages(admin);
  const c = useMessages(common);
  const [form] = Form.useForm<ClientValues>();
  const create = useMutation({
    mutationFn: (values: ClientValues) =>
      call(() =>
        api.POST('/api/v1/api-clients', {
          body: { organizationId: values.organizationId, name: values.name.trim() },
        }),
      ),
    onSuccess: (created) => {
      form.resetFields();
      onDone(created);
    },
  });
  if (isps.length === 0) {
    return <Alert type="info" showIcon title={t('noIsp')} style={{ marginBottom: 16 }} />;
  }
  return (
    <Card title={t('clientNew')} style={{ marginBottom: 16 }}>
      {create.isError ? (
        <div style={{ marginBottom: 16 }}>
          <ProblemAlert error={create.error} />
        </div>
      ) : null}
      <Form<ClientValues>
        form={form}
        layout="vertical"
        onFinish={(values) => create.mutate(values)}
        style={{ maxWidth: 560 }}
      >
        <Form.Item
          label={t('organization')}
          name="organizationId"
          extra={t('ispOnly')}
          rules={[zodRule(clientSchema.shape.organizationId, t('required'))]}
        >
          <Select
            showSearch={{ optionFilterProp: 'label' }}
            options={isps.map((o) => ({ value: o.id, label: `${o.shortCode} · ${o.name}` }))}
          />
        </Form.Item>
        <Form.Item
          label={t('clientName')}
          name="name"
          extra={t('clientNameHelp')}
          rules={[zodRule(clientSchema.shape.name, t('clientNameInvalid'))]}
        >
          <Input autoComplete="off" />
        </Form.Item>
        <Space>
          <Button type="primary" htmlType="submit" loading={create.isPending}>
            {t('create')}
          </Button>
          <Button onClick={() => onDone(null)}>{c('cancel')}</Button>
        </Space>
      </Form>
    </Card>
  );
}

export default function ApiClients() {
  const t = useMessages(admin);
  const c = useMessages(common);
  const format = useFormat();
  const client = useQueryClient();
  const pages = useCursorPages();
  const organizations = useAllOrganizations();
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState<WithSecret | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const query = useQuery({
    queryKey: ['api-clients', 'page', pages.cursor],
    queryFn: () =>
      call(() =>
        api.GET('/api/v1/api-clients', {
          params: { query: { limit: 50, ...(pages.cursor ? { cursor: pages.cursor } : {}) } },
        }),
      ),
    placeholderData: keepPreviousData,
  });
  const orgById = useMemo(
    () => new Map((organizations.data ?? []).map((o) => [o.id, o])),
    [organizations.data],
  );
  const isps = (organizations.data ?? []).filter((o) => o.kind === 'isp');
  const refresh = () => void client.invalidateQueries({ queryKey: ['api-clients'] });

  async function rotate(target: ApiClient) {
    const rotated = await call(() =>
      api.POST('/api/v1/api-clients/{id}/rotate', { params: { path: { id: target.id } } }),
    );
    setNotice(null);
    setSecret(rotated);
    refresh();
  }

  async function revoke(target: ApiClient) {
    await call(() =>
      api.POST('/api/v1/api-clients/{id}/revoke', { params: { path: { id: target.id } } }),
    );
    setNotice(t('revokedDone', { clientId: target.clientId }));
    refresh();
  }

  return (
    <Page
      title={t('clientsTitle')}
      extra={
        creating ? null : (
          <Button
            type="primary"
            disabled={!organizations.data}
            onClick={() => {
              setNotice(null);
              setSecret(null);
              setCreating(true);
            }}
          >
            {t('clientNew')}
          </Button>
        )
      }
    >
      <Notice text={notice} />
      {organizations.isError ? (
        <div style={{ marginBottom: 16 }}>
          <ProblemAlert error={organizations.error} onRetry={() => void organizations.refetch()} />
        </div>
      ) : null}
      {secret ? <SecretCard secret={secret} onClose={() => setSecret(null)} /> : null}
      {creating && organizations.data ? (
        <CreateClient
          isps={isps}
          onDone={(created) => {
            setCreating(false);
            if (!created) return;
            setNotice(t('clientCreated', { clientId: created.clientId }));
            setSecret(created);
            refresh();
          }}
        />
      ) : null}
      <QueryState query={query} isEmpty={(d) => d.items.length === 0}>
        {(data) => (
          <>
            <Table<ApiClient>
              aria-label={t('clientsTable')}
              rowKey="id"
              dataSource={data.items}
              pagination={false}
              size="middle"
              columns={[
                {
                  title: t('clientId'),
                  dataIndex: 'clientId',
                  render: (id: string) => <Typography.Text code>{id}</Typography.Text>,
                },
                { title: t('clientName'), dataIndex: 'name' },
                {
                  title: t('organization'),
                  dataIndex: 'organizationId',
                  render: (id: string) => {
                    const org = orgById.get(id);
                    return org ? `${org.shortCode} · ${org.name}` : t('unknownOrganization');
                  },
                },
                {
                  title: t('status'),
                  key: 'status',
                  render: (_, a) =>
                    a.revokedAt ? (
                      <ToneTag tone="danger">
                        {t('revokedAt', { time: format.dateTime(a.revokedAt) })}
                      </ToneTag>
                    ) : (
                      <ToneTag tone="success">{t('active')}</ToneTag>
                    ),
                },
                {
                  title: t('secretRotatedAt'),
                  dataIndex: 'secretRotatedAt',
                  render: (iso: string) => format.dateTime(iso),
                },
                {
                  title: t('lastUsedAt'),
                  dataIndex: 'lastUsedAt',
                  render: (iso: string | null) => format.dateTime(iso),
                },
                {
                  title: c('actions'),
                  key: 'actions',
                  render: (_, a) =>
                    a.revokedAt ? null : (
                      <Space size={4} wrap>
                        <ConfirmButton
                          label={t('rotate')}
                          title={`${t('rotate')}: ${a.clientId}`}
                          content={t('rotateConfirm', { clientId: a.clientId })}
                          onConfirm={() => rotate(a)}
                        />
                        <ConfirmButton
                          danger
                          label={t('revoke')}
                          title={t('revokeTitle', { clientId: a.clientId })}
                          content={t('revokeConfirm')}
                          onConfirm={() => revoke(a)}
                        />
                      </Space>
                    ),
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
