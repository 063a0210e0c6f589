import { Link, useParams } from 'react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Card, Descriptions, Form, Input, Popconfirm, Space, Table } from 'antd';
import { api, call, type Schemas } from '../../api/client';
import { hasAnyRole, useSession } from '../../auth/useSession';
import { useFormat, useMessages } from '../../i18n/i18n';
import { common } from '../../i18n/messages';
import { Page } from '../../ui/Page';
import { QueryState } from '../../ui/QueryState';
import { response } from './messages';
import { CardTitle, UNIT_EDITORS, linesOf } from './shared';
import { LINK_STYLE } from '../../ui/links';
import { useIdempotencyKeys } from '../../ui/idempotency';
import { ProblemAlert } from '../../ui/ProblemAlert';

type Unit = Schemas['UnitResponse'];
type Network = Schemas['UnitNetworkResponse'];

/** One unit: its facts and contacts, its networks (add, remove), a link to its cases. */
export default function UnitDetail() {
  const { id = '' } = useParams();
  const t = useMessages(response);
  const query = useQuery({
    queryKey: ['unit', id],
    queryFn: () => call(() => api.GET('/api/v1/units/{id}', { params: { path: { id } } })),
  });
  return (
    <Page
      title={query.data ? `${query.data.name} (${query.data.shortCode})` : t('unitsTitle')}
      extra={
        <Link to="/units" style={LINK_STYLE}>
          {t('back')}
        </Link>
      }
    >
      <QueryState query={query}>{(unit) => <UnitView unit={unit} />}</QueryState>
    </Page>
  );
}

function UnitView({ unit }: { unit: Unit }) {
  const t = useMessages(response);
  const c = useMessages(common);
  const f = useFormat();
  const session = useSession();
  const client = useQueryClient();
  const keys = useIdempotencyKeys();
  const mayEdit = hasAnyRole(session, UNIT_EDITORS);
  const [form] = Form.useForm<{ networks: string }>();
  const refresh = async () => {
    await client.invalidateQueries({ queryKey: ['unit', unit.id] });
    await client.invalidateQueries({ queryKey: ['units'] });
  };
  const add = useMutation({
    mutationFn: async (networks: string[]) => {
      const action = `networks:${unit.id}:${networks.join(',')}`;
      const answer = await call(() =>
        api.POST('/api/v1/units/{id}/networks', {
          params: { path: { id: unit.id }, header: { 'Idempotency-Key': keys.keyFor(action) } },
          body: { networks },
        }),
      );
      keys.settled(action);
      return answer;
    },
    onSuccess: async () => {
      form.resetFields();
      await refresh();
    },
  });
  const remove = useMutation({
    mutationFn: async (n: Network) => {
      await call(() =>
        api.DELETE('/api/v1/units/{id}/networks/{networkId}', {
          params: { path: { id: unit.id, networkId: n.id } },
        }),
      );
      return n;
    },
    onSuccess: refresh,
  });
  return (
    <Space direction="vertical" size="large" style={{ width: '100%' }}>
      <Card title={<CardTitle>{t('contacts')}</CardTitle>}>
        <Descriptions
          column={{ xs: 1, md: 2 }}
          size="small"
          styles={{ label: { color: 'rgba(0, 0, 0, 0.72)' } }}
        >
          <Descriptions.Item label={t('unitCategory')}>
            {t(`unit_${unit.category}`)}
          </Descriptions.Item>
          <Descriptions.Item label={t('district')}>{unit.district ?? '—'}</Descriptions.Item>
          <Descriptions.Item label={t('phone')}>{unit.contacts.phone ?? '—'}</Descriptions.Item>
          <Descriptions.Item label={t('hotline')}>{unit.contacts.hotline ?? '—'}</Descriptions.Item>
          <Descriptions.Item label={t('email')}>{unit.contacts.email ?? '—'}</Descriptions.Item>
          <Descriptions.Item label={t('asns')}>
            {unit.asns.length > 0 ? unit.asns.join(', ') : '—'}
          </Descriptions.Item>
        </Descriptions>
      </Card>
      <Card title={<CardTitle>{t('networksSection')}</CardTitle>}>
        {remove.isError ? <ProblemAlert error={remove.error} /> : null}
        {remove.isSuccess ? (
          <Alert
            type="success"
            role="status"
            showIcon
            title={t('networkRemoved', { network: remove.data.network })}
            style={{ marginBottom: 12 }}
          />
        ) : null}
        <Table<Network>
          aria-label={t('networksCaption')}
          rowKey="id"
          size="small"
          dataSource={unit.networks}
          pagination={
            unit.networks.length > 100 ? { pageSize: 100, showSizeChanger: false } : false
          }
          columns={[
            { title: t('network'), dataIndex: 'network', key: 'network' },
            {
              title: t('addedAt'),
              key: 'createdAt',
              render: (_: unknown, n: Network) => f.dateTime(n.createdAt),
            },
            ...(mayEdit
              ? [
                  {
                    title: c('actions'),
                    key: 'remove',
                    render: (_: unknown, n: Network) => (
                      <Popconfirm
                        title={t('removeConfirm', { network: n.network })}
                        onConfirm={() => remove.mutate(n)}
                      >
                        <Button size="small" danger>
                          {t('removeNetwork', { network: n.network })}
                        </Button>
                      </Popconfirm>
                    ),
                  },
                ]
              : []),
          ]}
        />
        {mayEdit ? (
          <Form
            form={form}
            layout="vertical"
            style={{ maxWidth: 560, marginTop: 16 }}
            onFinish={({ networks }) => add.mutate(linesOf(networks))}
          >
            <Form.Item
              name="networks"
              label={t('addNetworksLabel')}
              rules={[
                {
                  validator: (_r, v: string | undefined) => {
                    const n = linesOf(v).length;
                    return n >= 1 && n <= 1000
                      ? Promise.resolve()
                      : Promise.reject(new Error(t('networksRequired')));
                  },
                },
              ]}
            >
              <Input.TextArea rows={3} spellCheck={false} />
            </Form.Item>
            {add.isError ? (
              <div style={{ marginBottom: 12 }}>
                <ProblemAlert error={add.error} />
              </div>
            ) : null}
            {add.isSuccess ? (
              <Alert
                type="success"
                role="status"
                showIcon
                title={t('networksAdded')}
                style={{ marginBottom: 12 }}
              />
            ) : null}
            <Button htmlType="submit" loading={add.isPending}>
              {t('addNetworks')}
            </Button>
          </Form>
        ) : null}
      </Card>
    </Space>
  );
}
