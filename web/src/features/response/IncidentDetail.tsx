import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  Alert,
  Button,
  Card,
  Descriptions,
  Flex,
  Form,
  Input,
  Popconfirm,
  Radio,
  Space,
  Table,
  Timeline,
  Typography,
} from 'antd';
import { z } from 'zod/mini';
import { api, call, type Schemas } from '../../api/client';
import { hasAnyRole, useSession } from '../../auth/useSession';
import { useFormat, useMessages } from '../../i18n/i18n';
import { Page } from '../../ui/Page';
import { QueryState } from '../../ui/QueryState';
import { zodRule } from '../../ui/zod-rule';
import { AttachmentList, AttachmentUpload } from './Attachments';
import { response } from './messages';
import { CardTitle, DueAt, IncidentStatusTag, OPEN_INCIDENT, SeverityTag } from './shared';
import { LINK_STYLE } from '../../ui/links';
import { useIdempotencyKeys } from '../../ui/idempotency';
import { ProblemAlert } from '../../ui/ProblemAlert';

type Detail = Schemas['IncidentDetail'];
type Event = Schemas['IncidentEventResponse'];

const messageSchema = z.string().check(z.trim(), z.minLength(1), z.maxLength(8000));
const uuidSchema = z.uuid();
const draftText = z.optional(
  z.string().check(z.refine((v) => !v || v.trim().length >= 3, 'short')),
);
/** Who may open a blocking request (GET /blocking-requests/:id). */
const REQUEST_READERS = ['admin', 'analyst', 'approver', 'auditor'] as const;

/** One incident report: facts, indicators, the conversation, attachments, and the actions. */
export default function IncidentDetail() {
  const { id = '' } = useParams();
  const t = useMessages(response);
  const query = useQuery({
    queryKey: ['incident', id],
    queryFn: () => call(() => api.GET('/api/v1/incidents/{id}', { params: { path: { id } } })),
  });
  return (
    <Page
      title={query.data ? `${query.data.reference}: ${query.data.title}` : t('incidentsTitle')}
      extra={
        <Link to="/incidents" style={LINK_STYLE}>
          {t('back')}
        </Link>
      }
    >
      <QueryState query={query}>{(detail) => <DetailView detail={detail} />}</QueryState>
    </Page>
  );
}

/** Runs a versioned incident action with its own Idempotency-Key, then reloads the report. */
function useIncidentAction(detail: Detail) {
  const client = useQueryClient();
  const keys = useIdempotencyKeys();
  return useMutation({
    mutationFn: async ({
      name,
      send,
      body,
    }: {
      name: string;
      body: Record<string, unknown>;
      send: (key: string) => Promise<Detail>;
    }) => {
      const action = `${name}:${detail.id}:${JSON.stringify(body)}`;
      const answer = await send(keys.keyFor(action));
      keys.settled(action);
      return { name, answer };
    },
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: ['incident', detail.id] });
      await client.invalidateQueries({ queryKey: ['incidents'] });
    },
  });
}

function DetailView({ detail }: { detail: Detail }) {
  const t = useMessages(response);
  const f = useFormat();
  const session = useSession();
  const me = session.claims?.sub;
  const responder = hasAnyRole(session, ['responder']) && session.claims?.org_kind === 'department';
  const reporter = session.claims?.org === detail.reporterOrganizationId;
  const open = OPEN_INCIDENT.includes(detail.status);
  const mayAttach = (responder || reporter) && detail.status !== 'closed';
  const mayOpenRequest = hasAnyRole(session, [...REQUEST_READERS]);

  return (
    <Space direction="vertical" size="large" style={{ width: '100%' }}>
      <Card title={<CardTitle>{t('factsSection')}</CardTitle>}>
        <Descriptions
          column={{ xs: 1, md: 2 }}
          size="small"
          styles={{ label: { color: 'rgba(0, 0, 0, 0.72)' } }}
        >
          <Descriptions.Item label={t('status')}>
            <IncidentStatusTag status={detail.status} />
          </Descriptions.Item>
          <Descriptions.Item label={t('severity')}>
            <SeverityTag severity={detail.severity} />
          </Descriptions.Item>
          <Descriptions.Item label={t('category')}>
            {t(`category_${detail.category}`)}
          </Descriptions.Item>
          <Descriptions.Item label={t('dueAt')}>
            <DueAt at={detail.dueAt} overdue={detail.overdue} open={open} />
          </Descriptions.Item>
          <Descriptions.Item label={t('createdAt')}>
            {f.dateTime(detail.createdAt)}
          </Descriptions.Item>
          <Descriptions.Item label={t('occurredAt')}>
            {f.dateTime(detail.occurredAt)}
          </Descriptions.Item>
          <Descriptions.Item label={t('source')}>{t(`source_${detail.source}`)}</Descriptions.Item>
          <Descriptions.Item label={t('reporter')}>
            {detail.reporterEmail ??
              (detail.reporterId === me ? t('you') : t(`actor_${detail.reporterType}`))}
          </Descriptions.Item>
          <Descriptions.Item label={t('assignee')}>
            {detail.assigneeId === null
              ? t('unassigned')
              : detail.assigneeId === me
                ? t('you')
                : detail.assigneeId}
          </Descriptions.Item>
          <Descriptions.Item label={t('linkedCase')}>
            {detail.caseId ? (
              <Link to={`/cases/${detail.caseId}`} style={LINK_STYLE}>
                {detail.caseId}
              </Link>
            ) : (
              t('none')
            )}
          </Descriptions.Item>
          <Descriptions.Item label={t('linkedRequest')}>
            {detail.requestId ? (
              mayOpenRequest ? (
                <Link to={`/requests/${detail.requestId}`} style={LINK_STYLE}>
                  {t('openRequest')}
                </Link>
              ) : (
                t('requestForAnalyst', { id: detail.requestId })
              )
            ) : (
              t('none')
            )}
          </Descriptions.Item>
          <Descriptions.Item label={t('affectedSystems')} span={2}>
            {detail.affectedSystems ?? '—'}
          </Descriptions.Item>
          <Descriptions.Item label={t('description')} span={2}>
            <span style={{ whiteSpace: 'pre-wrap' }}>{detail.description}</span>
          </Descriptions.Item>
          {detail.resolution ? (
            <Descriptions.Item label={t('resolution')} span={2}>
              <span style={{ whiteSpace: 'pre-wrap' }}>{detail.resolution}</span>
            </Descriptions.Item>
          ) : null}
        </Descriptions>
      </Card>

      {responder ? <Triage detail={detail} /> : null}
      {reporter && open ? <ProvideInformation detail={detail} /> : null}

      <Card title={<CardTitle>{t('eventsSection')}</CardTitle>}>
        <Events events={detail.events} me={me} />
      </Card>

      {detail.indicators.length > 0 ? (
        <Card title={<CardTitle>{t('indicatorsSection')}</CardTitle>}>
          <Table
            aria-label={t('indicatorsCaption')}
            rowKey={(i) => `${i.type}|${i.value}`}
            size="small"
            dataSource={detail.indicators}
            pagination={
              detail.indicators.length > 50 ? { pageSize: 50, showSizeChanger: false } : false
            }
            columns={[
              {
                title: t('value'),
                key: 'value',
                render: (_: unknown, i: Schemas['IncidentIndicator']) => (
                  <Typography.Text code style={{ wordBreak: 'break-all' }}>
                    {i.value}
                  </Typography.Text>
                ),
              },
              { title: t('type'), dataIndex: 'type', key: 'type' },
            ]}
          />
        </Card>
      ) : null}

      <Card title={<CardTitle>{t('attachmentsSection')}</CardTitle>}>
        <Space direction="vertical" size="middle" style={{ width: '100%' }}>
          <AttachmentList incidentId={detail.id} attachments={detail.attachments} />
          {mayAttach ? <AttachmentUpload incidentId={detail.id} /> : null}
        </Space>
      </Card>
    </Space>
  );
}

function Events({ events, me }: { events: Event[]; me: string | undefined }) {
  const t = useMessages(response);
  const f = useFormat();
  return (
    <section aria-label={t('eventsCaption')}>
      <Timeline
        items={events.map((e) => ({
          key: e.id,
          children: (
            <div>
              <Typography.Text strong>{t(`event_${e.kind}`)}</Typography.Text>{' '}
              <Typography.Text type="secondary">
                {f.dateTime(e.createdAt)} ·{' '}
                {e.actorId && e.actorId === me ? t('you') : t(`actor_${e.actorType}`)}
              </Typography.Text>
              {e.body ? (
                <Typography.Paragraph style={{ whiteSpace: 'pre-wrap', marginBottom: 0 }}>
                  {e.body}
                </Typography.Paragraph>
              ) : null}
            </div>
          ),
        }))}
      />
    </section>
  );
}

type MessageKind = 'requestInformation' | 'note' | 'resolve';

function Triage({ detail }: { detail: Detail }) {
  const t = useMessages(response);
  const session = useSession();
  const me = session.claims?.sub ?? '';
  const act = useIncidentAction(detail);
  const [messageForm] = Form.useForm<{ kind: MessageKind; message: string }>();
  const [caseForm] = Form.useForm<{ caseId: string }>();
  const [draftForm] = Form.useForm<{ title?: string; reason?: string }>();
  const [done, setDone] = useState<string>();
  const open = OPEN_INCIDENT.includes(detail.status);
  const v = detail.version;
  const path = { id: detail.id };

  const run = (
    name: string,
    label: string,
    body: Record<string, unknown>,
    send: (key: string) => Promise<Detail>,
  ) => {
    setDone(undefined);
    act.mutate({ name, body, send }, { onSuccess: () => setDone(label) });
  };

  const sendMessage = ({ kind, message }: { kind: MessageKind; message: string }) => {
    const text = message.trim();
    const onDone = () => messageForm.setFieldValue('message', '');
    if (kind === 'resolve') {
      const body = { version: v, resolution: text };
      run('resolve', t('resolve'), body, (key) =>
        call(() =>
          api.POST('/api/v1/incidents/{id}/resolve', {
            params: { path, header: { 'Idempotency-Key': key } },
            body,
          }),
        ).then((answer) => {
          onDone();
          return answer;
        }),
      );
      return;
    }
    const body = { version: v, message: text };
    if (kind === 'note') {
      run('note', t('addNote'), body, (key) =>
        call(() =>
          api.POST('/api/v1/incidents/{id}/notes', {
            params: { path, header: { 'Idempotency-Key': key } },
            body,
          }),
        ).then((answer) => {
          onDone();
          return answer;
        }),
      );
    } else {
      run('request-information', t('requestInformation'), body, (key) =>
        call(() =>
          api.POST('/api/v1/incidents/{id}/request-information', {
            params: { path, header: { 'Idempotency-Key': key } },
            body,
          }),
        ).then((answer) => {
          onDone();
          return answer;
        }),
      );
    }
  };

  return (
    <Card title={<CardTitle>{t('triageSection')}</CardTitle>}>
      <Space direction="vertical" size="middle" style={{ width: '100%' }}>
        {act.isError ? <ProblemAlert error={act.error} /> : null}
        {done && act.isSuccess ? (
          <Alert type="success" role="status" showIcon title={`${done}: ${t('done')}`} />
        ) : null}

        {open ? (
          <Flex gap="small" align="center" wrap>
            <Button
              type={detail.assigneeId ? 'default' : 'primary'}
              disabled={detail.assigneeId === me}
              loading={act.isPending && act.variables?.name === 'assign'}
              onClick={() => {
                const body = { version: v, assigneeId: me };
                run('assign', t('assignToMe'), body, (key) =>
                  call(() =>
                    api.POST('/api/v1/incidents/{id}/assign', {
                      params: { path, header: { 'Idempotency-Key': key } },
                      body,
                    }),
                  ),
                );
              }}
            >
              {t('assignToMe')}
            </Button>
            <Typography.Text type="secondary">{t('assignNote')}</Typography.Text>
          </Flex>
        ) : null}

        {open ? (
          <Form
            form={messageForm}
            layout="vertical"
            initialValues={{ kind: 'requestInformation', message: '' }}
            onFinish={sendMessage}
            style={{ maxWidth: 820 }}
          >
            <Form.Item name="kind" style={{ marginBottom: 8 }}>
              <Radio.Group
                aria-label={t('triageSection')}
                options={[
                  { value: 'requestInformation', label: t('requestInformation') },
                  { value: 'note', label: t('addNote') },
                  { value: 'resolve', label: t('resolve') },
                ]}
              />
            </Form.Item>
            <Form.Item
              name="message"
              label={t('message')}
              rules={[zodRule(messageSchema, t('messageRequired'))]}
            >
              <Input.TextArea rows={3} maxLength={8000} />
            </Form.Item>
            <Button htmlType="submit" loading={act.isPending}>
              {t('send')}
            </Button>
          </Form>
        ) : null}

        {open || detail.status === 'resolved' ? (
          <Form
            form={caseForm}
            layout="inline"
            onFinish={({ caseId }) => {
              const body = { version: v, caseId: caseId.trim() };
              run('link-case', t('linkCase'), body, (key) =>
                call(() =>
                  api.POST('/api/v1/incidents/{id}/link-case', {
                    params: { path, header: { 'Idempotency-Key': key } },
                    body,
                  }),
                ),
              );
            }}
            style={{ rowGap: 8 }}
          >
            <Form.Item
              name="caseId"
              label={t('caseId')}
              rules={[zodRule(uuidSchema, t('caseIdInvalid'))]}
            >
              <Input style={{ width: 340 }} spellCheck={false} />
            </Form.Item>
            <Button htmlType="submit">{t('linkCase')}</Button>
          </Form>
        ) : null}

        {(open || detail.status === 'resolved') && !detail.requestId ? (
          <Form
            form={draftForm}
            layout="vertical"
            style={{ maxWidth: 820 }}
            onFinish={(values) => {
              const body = {
                version: v,
                title: values.title?.trim() || undefined,
                reason: values.reason?.trim() || undefined,
              };
              run('draft-request', t('draftRequest'), body, (key) =>
                call(() =>
                  api.POST('/api/v1/incidents/{id}/draft-request', {
                    params: { path, header: { 'Idempotency-Key': key } },
                    body,
                  }),
                ),
              );
            }}
          >
            <Typography.Paragraph type="secondary">{t('draftLead')}</Typography.Paragraph>
            <Flex gap="middle" wrap>
              <Form.Item
                name="title"
                label={t('draftTitle')}
                rules={[zodRule(draftText, t('draftTooShort'))]}
                style={{ flex: 1, minWidth: 260 }}
              >
                <Input maxLength={300} />
              </Form.Item>
              <Form.Item
                name="reason"
                label={t('draftReason')}
                rules={[zodRule(draftText, t('draftTooShort'))]}
                style={{ flex: 1, minWidth: 260 }}
              >
                <Input maxLength={1000} />
              </Form.Item>
            </Flex>
            <Button htmlType="submit">{t('draftRequest')}</Button>
          </Form>
        ) : null}

        {detail.status !== 'closed' ? (
          <div>
            <Popconfirm
              title={t('closeConfirm')}
              onConfirm={() => {
                const body = { version: v };
                run('close', t('close'), body, (key) =>
                  call(() =>
                    api.POST('/api/v1/incidents/{id}/close', {
                      params: { path, header: { 'Idempotency-Key': key } },
                      body,
                    }),
                  ),
                );
              }}
            >
              <Button danger>{t('close')}</Button>
            </Popconfirm>
          </div>
        ) : null}
      </Space>
    </Card>
  );
}

function ProvideInformation({ detail }: { detail: Detail }) {
  const t = useMessages(response);
  const act = useIncidentAction(detail);
  const [form] = Form.useForm<{ message: string }>();
  return (
    <Card title={<CardTitle>{t('provideSection')}</CardTitle>}>
      <Typography.Paragraph type="secondary">{t('provideLead')}</Typography.Paragraph>
      <Form
        form={form}
        layout="vertical"
        style={{ maxWidth: 820 }}
        onFinish={({ message }) => {
          const body = { version: detail.version, message: message.trim() };
          act.mutate(
            {
              name: 'information',
              body,
              send: (key) =>
                call(() =>
                  api.POST('/api/v1/incidents/{id}/information', {
                    params: { path: { id: detail.id }, header: { 'Idempotency-Key': key } },
                    body,
                  }),
                ),
            },
            { onSuccess: () => form.setFieldValue('message', '') },
          );
        }}
      >
        <Form.Item
          name="message"
          label={t('message')}
          rules={[zodRule(messageSchema, t('messageRequired'))]}
        >
          <Input.TextArea rows={3} maxLength={8000} />
        </Form.Item>
        {act.isError ? (
          <div style={{ marginBottom: 12 }}>
            <ProblemAlert error={act.error} />
          </div>
        ) : null}
        {act.isSuccess ? (
          <Alert
            style={{ marginBottom: 12 }}
            type="success"
            role="status"
            showIcon
            title={t('done')}
          />
        ) : null}
        <Button type="primary" htmlType="submit" loading={act.isPending}>
          {t('provide')}
        </Button>
      </Form>
    </Card>
  );
}
