import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  Alert,
  Button,
  Card,
  Checkbox,
  Flex,
  Form,
  Input,
  Popconfirm,
  Space,
  Switch,
  Table,
  Tag,
  Typography,
} from 'antd';
import { z } from 'zod/mini';
import { api, call, type Schemas } from '../../api/client';
import { common } from '../../i18n/messages';
import { useFormat, useMessages } from '../../i18n/i18n';
import { Page } from '../../ui/Page';
import { Pager } from '../../ui/Pager';
import { ProblemAlert } from '../../ui/ProblemAlert';
import { QueryState } from '../../ui/QueryState';
import { useCursorPages } from '../../ui/cursor';
import { zodRule } from '../../ui/zod-rule';
import { isp } from './messages';
import { ToneTag, type Tone } from './shared';
import { useIdempotencyKeys } from '../../ui/idempotency';

type Webhook = Schemas['WebhookResponse'];
type EventType = Webhook['events'][number];
type Delivery = Schemas['DeliveryResponse'];

const EVENTS: EventType[] = [
  'request.published',
  'request.withdrawn',
  'assignment.reminder',
  'assignment.overdue',
  'confirmation.received',
];
const DELIVERY_TONE: Record<Delivery['status'], Tone> = {
  pending: 'info',
  succeeded: 'success',
  dead: 'danger',
};

/**
 * The form's rule for the URL: an absolute http(s) URL (the service decides the rest: https only
 * in production, public addresses only — its 422 says why).
 */
const webhookUrl = z.string().check(
  z.maxLength(2048),
  z.refine((v) => {
    try {
      return ['https:', 'http:'].includes(new URL(v).protocol);
    } catch {
      return false;
    }
  }),
);

/** Darker than antd's danger red, for WCAG AA contrast. */
const DANGER_TEXT = { color: '#a8071a', borderColor: '#a8071a' } as const;
const DANGER_SOLID = { background: '#a8071a', borderColor: '#a8071a' } as const;

/**
 * The events' checkboxes as a form field: a named group. The aria-required/aria-invalid the
 * Form.Item gives its child are not allowed on a group, so they are not passed on.
 */
function EventsField({
  id,
  value,
  onChange,
}: {
  id?: string;
  value?: EventType[];
  onChange?: (v: EventType[]) => void;
}) {
  const t = useMessages(isp);
  return (
    <div id={id} role="group" aria-label={t('events')}>
      <Checkbox.Group<EventType>
        value={value}
        onChange={onChange}
        options={EVENTS.map((e) => ({ value: e, label: t(`event_${e}`) }))}
      />
    </div>
  );
}

interface Secret {
  url: string;
  secret: string;
}

/** The organization's webhooks: subscribe (secret shown once), pause, rotate, delete, deliveries. */
export default function Webhooks() {
  const t = useMessages(isp);
  const [secret, setSecret] = useState<Secret>();
  const [shown, setShown] = useState<Webhook>();
  return (
    <Page title={t('webhooksTitle')}>
      <Space direction="vertical" size="large" style={{ width: '100%' }}>
        {secret ? <SecretOnce secret={secret} onDone={() => setSecret(undefined)} /> : null}
        <CreateForm onCreated={setSecret} />
        <List onSecret={setSecret} onShowDeliveries={setShown} shown={shown} />
        {shown ? <Deliveries webhook={shown} /> : null}
      </Space>
    </Page>
  );
}

function SecretOnce({ secret, onDone }: { secret: Secret; onDone: () => void }) {
  const t = useMessages(isp);
  const c = useMessages(common);
  const [copied, setCopied] = useState(false);
  return (
    <Alert
      type="warning"
      showIcon
      title={t('secretTitle')}
      description={
        <Space direction="vertical" style={{ width: '100%' }}>
          <span>{t('secretWarning')}</span>
          <Flex gap="small" wrap align="center">
            <Input
              readOnly
              aria-label={t('secretLabel', { url: secret.url })}
              value={secret.secret}
              style={{ fontFamily: 'monospace', maxWidth: 560 }}
            />
            <Button
              onClick={() =>
                // No clipboard outside a secure context (plain http to a LAN address): the
                // secret stays selectable in the box above.
                void Promise.resolve()
                  .then(() => navigator.clipboard.writeText(secret.secret))
                  .then(
                    () => setCopied(true),
                    () => setCopied(false),
                  )
              }
            >
              {t('copySecret')}
            </Button>
            {copied ? (
              <span role="status">{c('copied')}</span>
            ) : (
              <span role="status" aria-live="polite" />
            )}
          </Flex>
          <Button type="primary" onClick={onDone}>
            {t('secretDone')}
          </Button>
        </Space>
      }
    />
  );
}

interface CreateValues {
  url: string;
  events: EventType[];
  description?: string;
}

function CreateForm({ onCreated }: { onCreated: (s: Secret) => void }) {
  const t = useMessages(isp);
  const client = useQueryClient();
  const keys = useIdempotencyKeys();
  const [form] = Form.useForm<CreateValues>();
  const create = useMutation({
    mutationFn: async (body: Schemas['CreateWebhookRequest']) => {
      const action = `webhook:${JSON.stringify(body)}`;
      const answer = await call(() =>
        api.POST('/api/v1/webhooks', {
          params: { header: { 'Idempotency-Key': keys.keyFor(action) } },
          body,
        }),
      );
      keys.settled(action);
      return answer;
    },
    onSuccess: async (created) => {
      onCreated({ url: created.url, secret: created.secret });
      form.resetFields();
      await client.invalidateQueries({ queryKey: ['webhooks'] });
    },
  });
  return (
    <Card title={<h2 style={{ fontSize: 18, margin: 0 }}>{t('createSection')}</h2>}>
      <p>{t('createLead')}</p>
      <Form<CreateValues>
        form={form}
        layout="vertical"
        initialValues={{ events: ['request.published', 'assignment.reminder'] }}
        onFinish={(v) =>
          create.mutate({
            url: v.url.trim(),
            events: v.events,
            description: v.description?.trim() || undefined,
          })
        }
      >
        <Form.Item name="url" label={t('url')} rules={[zodRule(webhookUrl, t('urlInvalid'))]}>
          <Input placeholder="https://soc.isp.example/hooks/threat-exchange" maxLength={2048} />
        </Form.Item>
        <Form.Item
          name="events"
          label={t('events')}
          rules={[{ required: true, type: 'array', min: 1, message: t('eventsRequired') }]}
        >
          <EventsField />
        </Form.Item>
        <Form.Item name="description" label={t('description')}>
          <Input maxLength={500} />
        </Form.Item>
        {create.isError ? (
          <div style={{ marginBottom: 12 }}>
            <ProblemAlert error={create.error} />
          </div>
        ) : null}
        {create.isSuccess ? (
          <Alert
            style={{ marginBottom: 12 }}
            type="success"
            role="status"
            showIcon
            title={t('created')}
          />
        ) : null}
        <Button type="primary" htmlType="submit" loading={create.isPending}>
          {t('create')}
        </Button>
      </Form>
    </Card>
  );
}

function List({
  onSecret,
  onShowDeliveries,
  shown,
}: {
  onSecret: (s: Secret) => void;
  onShowDeliveries: (w: Webhook | undefined) => void;
  shown: Webhook | undefined;
}) {
  const t = useMessages(isp);
  const c = useMessages(common);
  const f = useFormat();
  const client = useQueryClient();
  const keys = useIdempotencyKeys();
  const pages = useCursorPages();
  const [done, setDone] = useState<string>();
  const query = useQuery({
    queryKey: ['webhooks', pages.cursor],
    queryFn: () =>
      call(() =>
        api.GET('/api/v1/webhooks', { params: { query: { limit: 50, cursor: pages.cursor } } }),
      ),
  });
  const refresh = () => client.invalidateQueries({ queryKey: ['webhooks'] });

  const toggle = useMutation({
    mutationFn: (w: Webhook) =>
      call(() =>
        api.PATCH('/api/v1/webhooks/{id}', {
          params: { path: { id: w.id } },
          body: { version: w.version, active: !w.active },
        }),
      ),
    onSuccess: async () => {
      setDone(t('updated'));
      await refresh();
    },
  });
  const rotate = useMutation({
    mutationFn: async (w: Webhook) => {
      const action = `rotate:${w.id}:${w.version}`;
      const answer = await call(() =>
        api.POST('/api/v1/webhooks/{id}/rotate-secret', {
          params: { path: { id: w.id }, header: { 'Idempotency-Key': keys.keyFor(action) } },
        }),
      );
      keys.settled(action);
      return answer;
    },
    onSuccess: async (answer) => {
      setDone(t('rotated'));
      onSecret({ url: answer.url, secret: answer.secret });
      await refresh();
    },
  });
  const remove = useMutation({
    mutationFn: (w: Webhook) =>
      call(() => api.DELETE('/api/v1/webhooks/{id}', { params: { path: { id: w.id } } })),
    onSuccess: async (_answer, w) => {
      setDone(t('removed'));
      if (shown?.id === w.id) onShowDeliveries(undefined);
      await refresh();
    },
  });
  const failure = toggle.error ?? rotate.error ?? remove.error;

  const columns = [
    {
      title: t('url'),
      key: 'url',
      render: (_: unknown, w: Webhook) => (
        <Space direction="vertical" size={0}>
          <Typography.Text style={{ wordBreak: 'break-all' }}>{w.url}</Typography.Text>
          {w.description ? (
            <Typography.Text type="secondary">{w.description}</Typography.Text>
          ) : null}
          {w.previousSecretExpiresAt ? (
            <Typography.Text type="secondary">
              {t('previousSecretUntil', { time: f.dateTime(w.previousSecretExpiresAt) })}
            </Typography.Text>
          ) : null}
        </Space>
      ),
    },
    {
      title: t('events'),
      key: 'events',
      render: (_: unknown, w: Webhook) => (
        <Flex gap={4} wrap>
          {w.events.map((e) => (
            <Tag key={e}>{t(`event_${e}`)}</Tag>
          ))}
        </Flex>
      ),
    },
    {
      title: t('active'),
      key: 'active',
      render: (_: unknown, w: Webhook) => (
        <Space>
          <Switch
            aria-label={t('activeFor', { url: w.url })}
            checked={w.active}
            loading={toggle.isPending && toggle.variables?.id === w.id}
            onChange={() => {
              setDone(undefined);
              toggle.mutate(w);
            }}
          />
          <span>{w.active ? t('active') : t('paused')}</span>
        </Space>
      ),
    },
    {
      title: t('createdAt'),
      key: 'createdAt',
      render: (_: unknown, w: Webhook) => f.dateTime(w.createdAt),
    },
    {
      title: c('actions'),
      key: 'actions',
      render: (_: unknown, w: Webhook) => (
        <Flex gap="small" wrap>
          <Button
            size="small"
            onClick={() => onShowDeliveries(w)}
            aria-pressed={shown?.id === w.id}
          >
            {t('showDeliveries')}
          </Button>
          <Popconfirm
            title={t('rotateConfirm')}
            okText={t('rotate')}
            cancelText={c('cancel')}
            onConfirm={() => {
              setDone(undefined);
              rotate.mutate(w);
            }}
          >
            <Button size="small" loading={rotate.isPending && rotate.variables?.id === w.id}>
              {t('rotate')}
            </Button>
          </Popconfirm>
          <Popconfirm
            title={t('removeConfirm')}
            okText={t('remove')}
            okButtonProps={{ danger: true, style: DANGER_SOLID }}
            cancelText={c('cancel')}
            onConfirm={() => {
              setDone(undefined);
              remove.mutate(w);
            }}
          >
            <Button size="small" style={DANGER_TEXT}>
              {t('remove')}
            </Button>
          </Popconfirm>
        </Flex>
      ),
    },
  ];

  return (
    <Card title={<h2 style={{ fontSize: 18, margin: 0 }}>{t('webhooksSection')}</h2>}>
      {failure ? (
        <div style={{ marginBottom: 12 }}>
          <ProblemAlert error={failure} />
        </div>
      ) : null}
      {done ? (
        <Alert style={{ marginBottom: 12 }} type="success" role="status" showIcon title={done} />
      ) : null}
      <QueryState query={query}>
        {(data) => (
          <>
            <Table<Webhook>
              aria-label={t('webhooksCaption')}
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

function Deliveries({ webhook }: { webhook: Webhook }) {
  const t = useMessages(isp);
  const f = useFormat();
  const pages = useCursorPages();
  const query = useQuery({
    queryKey: ['webhook-deliveries', webhook.id, pages.cursor],
    queryFn: () =>
      call(() =>
        api.GET('/api/v1/webhooks/{id}/deliveries', {
          params: { path: { id: webhook.id }, query: { limit: 20, cursor: pages.cursor } },
        }),
      ),
  });
  const columns = [
    {
      title: t('createdAt'),
      key: 'createdAt',
      render: (_: unknown, d: Delivery) => f.dateTime(d.createdAt),
    },
    {
      title: t('event'),
      key: 'event',
      render: (_: unknown, d: Delivery) => t(`event_${d.eventType}`),
    },
    {
      title: t('status'),
      key: 'status',
      render: (_: unknown, d: Delivery) => (
        <ToneTag tone={DELIVERY_TONE[d.status]}>{t(`delivery_${d.status}`)}</ToneTag>
      ),
    },
    {
      title: t('attempts'),
      key: 'attempts',
      align: 'right' as const,
      render: (_: unknown, d: Delivery) => f.number(d.attempts),
    },
    {
      title: t('lastStatus'),
      key: 'lastStatus',
      render: (_: unknown, d: Delivery) => d.lastStatus ?? '—',
    },
    {
      title: t('lastError'),
      key: 'lastError',
      render: (_: unknown, d: Delivery) => d.lastError ?? '—',
    },
    {
      title: t('deliveredAt'),
      key: 'deliveredAt',
      render: (_: unknown, d: Delivery) =>
        d.deliveredAt
          ? f.dateTime(d.deliveredAt)
          : d.nextAttemptAt
            ? `${t('nextAttemptAt')}: ${f.dateTime(d.nextAttemptAt)}`
            : '—',
    },
  ];
  return (
    <Card
      title={
        <h2 style={{ fontSize: 18, margin: 0, wordBreak: 'break-all' }}>
          {t('deliveriesSection', { url: webhook.url })}
        </h2>
      }
    >
      <QueryState query={query}>
        {(data) => (
          <>
            <Table<Delivery>
              aria-label={t('deliveriesCaption')}
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
