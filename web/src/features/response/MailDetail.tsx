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
  Select,
  Space,
  Typography,
} from 'antd';
import { z } from 'zod/mini';
import { api, call, type Schemas } from '../../api/client';
import { hasAnyRole, useSession } from '../../auth/useSession';
import { useFormat, useMessages } from '../../i18n/i18n';
import { Page } from '../../ui/Page';
import { QueryState } from '../../ui/QueryState';
import { zodRule } from '../../ui/zod-rule';
import { response } from './messages';
import { CardTitle, MailStatusTag } from './shared';
import { LINK_STYLE } from '../../ui/links';
import { useIdempotencyKeys } from '../../ui/idempotency';
import { ProblemAlert } from '../../ui/ProblemAlert';

type Mail = Schemas['MailInboxDetailResponse'];
const reasonSchema = z.string().check(z.trim(), z.minLength(1), z.maxLength(400));
const uuidSchema = z.optional(z.union([z.literal(''), z.uuid()]));

/** One mail of the incident mailbox: what it says, then release (file it) or reject it. */
export default function MailDetail() {
  const { id = '' } = useParams();
  const t = useMessages(response);
  const query = useQuery({
    queryKey: ['mail', id],
    queryFn: () => call(() => api.GET('/api/v1/mail/inbox/{id}', { params: { path: { id } } })),
  });
  return (
    <Page
      title={query.data ? `${t('mailDetail')}: ${query.data.subject || '—'}` : t('mailTitle')}
      extra={
        <Link to="/mail" style={LINK_STYLE}>
          {t('back')}
        </Link>
      }
    >
      <QueryState query={query}>{(mail) => <MailView mail={mail} />}</QueryState>
    </Page>
  );
}

function MailView({ mail }: { mail: Mail }) {
  const t = useMessages(response);
  const f = useFormat();
  const session = useSession();
  const responder = hasAnyRole(session, ['responder']);
  return (
    <Space direction="vertical" size="large" style={{ width: '100%' }}>
      <Card>
        <Descriptions
          column={{ xs: 1, md: 2 }}
          size="small"
          styles={{ label: { color: 'rgba(0, 0, 0, 0.72)' } }}
        >
          <Descriptions.Item label={t('from')}>
            {mail.headerFrom ?? mail.fromAddress} ({mail.fromAddress})
          </Descriptions.Item>
          <Descriptions.Item label={t('to')}>{mail.toAddresses.join(', ')}</Descriptions.Item>
          <Descriptions.Item label={t('receivedAt')}>
            {f.dateTime(mail.receivedAt)}
          </Descriptions.Item>
          <Descriptions.Item label={t('status')}>
            <MailStatusTag status={mail.status} />
          </Descriptions.Item>
          <Descriptions.Item label={t('reason')} span={2}>
            {mail.reason ?? '—'}
          </Descriptions.Item>
          {mail.incidentId ? (
            <Descriptions.Item label={t('openIncident')}>
              <Link to={`/incidents/${mail.incidentId}`} style={LINK_STYLE}>
                {t('openIncident')}
              </Link>
            </Descriptions.Item>
          ) : null}
        </Descriptions>
        <Typography.Title level={2} style={{ fontSize: 16, marginTop: 16 }}>
          {t('body')}
        </Typography.Title>
        <pre
          tabIndex={0}
          aria-label={t('body')}
          style={{
            whiteSpace: 'pre-wrap',
            maxHeight: 400,
            overflow: 'auto',
            background: '#fafafa',
            padding: 12,
          }}
        >
          {mail.body}
        </pre>
        {mail.attachments.length > 0 ? (
          <>
            <Typography.Title level={2} style={{ fontSize: 16 }}>
              {t('mailAttachments')}
            </Typography.Title>
            <ul>
              {mail.attachments.map((a, i) => (
                <li key={i}>
                  {a.filename} ({a.contentType}, {t('sizeBytes', { n: a.size })})
                  {a.skipped ? ` — ${t('skipped', { why: a.skipped })}` : ''}
                </li>
              ))}
            </ul>
          </>
        ) : null}
      </Card>
      {mail.status === 'quarantined' ? (
        responder ? (
          <Review mail={mail} />
        ) : (
          <Alert type="info" showIcon title={t('reviewOnlyResponder')} />
        )
      ) : null}
    </Space>
  );
}

function Review({ mail }: { mail: Mail }) {
  const t = useMessages(response);
  const client = useQueryClient();
  const keys = useIdempotencyKeys();
  const [search, setSearch] = useState('');
  const units = useQuery({
    queryKey: ['units', 'pick', search],
    queryFn: () =>
      call(() =>
        api.GET('/api/v1/units', { params: { query: { limit: 20, q: search || undefined } } }),
      ),
  });
  const refresh = async () => {
    await client.invalidateQueries({ queryKey: ['mail', mail.id] });
    await client.invalidateQueries({ queryKey: ['mail-inbox'] });
  };
  const release = useMutation({
    mutationFn: async (organizationId: string) => {
      const action = `release:${mail.id}:${organizationId}`;
      const answer = await call(() =>
        api.POST('/api/v1/mail/inbox/{id}/release', {
          params: { path: { id: mail.id }, header: { 'Idempotency-Key': keys.keyFor(action) } },
          body: { organizationId },
        }),
      );
      keys.settled(action);
      return answer;
    },
    onSuccess: refresh,
  });
  const reject = useMutation({
    mutationFn: async (reason: string) => {
      const action = `reject:${mail.id}:${reason}`;
      const answer = await call(() =>
        api.POST('/api/v1/mail/inbox/{id}/reject', {
          params: { path: { id: mail.id }, header: { 'Idempotency-Key': keys.keyFor(action) } },
          body: { reason },
        }),
      );
      keys.settled(action);
      return answer;
    },
    onSuccess: refresh,
  });
  const [releaseForm] = Form.useForm<{ unitId?: string; organizationId?: string }>();
  return (
    <Flex gap="large" wrap align="start">
      <Card title={<CardTitle>{t('release')}</CardTitle>} style={{ flex: 1, minWidth: 360 }}>
        <Typography.Paragraph type="secondary">{t('releaseLead')}</Typography.Paragraph>
        <Form
          form={releaseForm}
          layout="vertical"
          onFinish={(v) => {
            const id = v.organizationId?.trim() || v.unitId;
            if (id) release.mutate(id);
          }}
        >
          <Form.Item name="unitId" label={t('releaseUnit')} htmlFor="release-unit">
            <Select
              id="release-unit"
              showSearch={{ filterOption: false, onSearch: setSearch }}
              allowClear
              loading={units.isFetching}
              options={(units.data?.items ?? []).map((u) => ({
                value: u.id,
                label: `${u.name} (${u.shortCode})`,
              }))}
            />
          </Form.Item>
          <Form.Item
            name="organizationId"
            label={t('releaseOrg')}
            dependencies={['unitId']}
            rules={[
              zodRule(uuidSchema, t('releaseOrgRequired')),
              ({ getFieldValue }) => ({
                validator: (_r, v: string | undefined) =>
                  v?.trim() || getFieldValue('unitId')
                    ? Promise.resolve()
                    : Promise.reject(new Error(t('releaseOrgRequired'))),
              }),
            ]}
          >
            <Input spellCheck={false} />
          </Form.Item>
          {release.isError ? (
            <div style={{ marginBottom: 12 }}>
              <ProblemAlert error={release.error} />
            </div>
          ) : null}
          {release.isSuccess ? (
            <Alert
              style={{ marginBottom: 12 }}
              type="success"
              role="status"
              showIcon
              title={t('released')}
            />
          ) : null}
          <Button type="primary" htmlType="submit" loading={release.isPending}>
            {t('release')}
          </Button>
        </Form>
      </Card>
      <Card title={<CardTitle>{t('reject')}</CardTitle>} style={{ flex: 1, minWidth: 320 }}>
        <Form
          layout="vertical"
          onFinish={({ reason }: { reason: string }) => reject.mutate(reason.trim())}
        >
          <Form.Item
            name="reason"
            label={t('rejectReason')}
            rules={[zodRule(reasonSchema, t('rejectRequired'))]}
          >
            <Input.TextArea rows={2} maxLength={400} />
          </Form.Item>
          {reject.isError ? (
            <div style={{ marginBottom: 12 }}>
              <ProblemAlert error={reject.error} />
            </div>
          ) : null}
          {reject.isSuccess ? (
            <Alert
              style={{ marginBottom: 12 }}
              type="success"
              role="status"
              showIcon
              title={t('rejected')}
            />
          ) : null}
          <Button danger htmlType="submit" loading={reject.isPending}>
            {t('reject')}
          </Button>
        </Form>
      </Card>
    </Flex>
  );
}
