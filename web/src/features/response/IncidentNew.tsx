import { useState } from 'react';
import { Link } from 'react-router';
import { useMutation } from '@tanstack/react-query';
import { Alert, Button, Card, Flex, Form, Input, Select, Space } from 'antd';
import { z } from 'zod/mini';
import { api, call, type Schemas } from '../../api/client';
import { useMessages } from '../../i18n/i18n';
import { Page } from '../../ui/Page';
import { zodRule } from '../../ui/zod-rule';
import { AttachmentUpload } from './Attachments';
import { response } from './messages';
import {
  CardTitle,
  INCIDENT_CATEGORIES,
  SEVERITIES,
  linesOf,
  type IncidentCategory,
  type Severity,
} from './shared';
import { LINK_STYLE } from '../../ui/links';
import { useIdempotencyKeys } from '../../ui/idempotency';
import { ProblemAlert } from '../../ui/ProblemAlert';

/** The form's rules, the API's bounds (CreateIncidentRequest). */
const incidentSchema = z.object({
  title: z.string().check(z.trim(), z.minLength(1), z.maxLength(300)),
  description: z.string().check(z.trim(), z.minLength(1), z.maxLength(20000)),
  indicators: z.optional(
    z.string().check(z.refine((text) => linesOf(text).length <= 1000, 'too many')),
  ),
  occurredAt: z.optional(
    z.string().check(
      z.refine((v) => {
        if (!v) return true;
        const d = new Date(v);
        return !Number.isNaN(d.getTime()) && d.getTime() <= Date.now() + 60_000;
      }, 'invalid'),
    ),
  ),
});

interface Values {
  category: IncidentCategory;
  severity: Severity;
  title: string;
  affectedSystems?: string;
  description: string;
  indicators?: string;
  occurredAt?: string;
}

/** Report an incident to the response team, then attach files to it. */
export default function IncidentNew() {
  const t = useMessages(response);
  const [form] = Form.useForm<Values>();
  const keys = useIdempotencyKeys();
  const [filed, setFiled] = useState<Schemas['IncidentDetail']>();
  const create = useMutation({
    mutationFn: async (body: Schemas['CreateIncidentRequest']) => {
      const action = `incident:${JSON.stringify(body)}`;
      const answer = await call(() =>
        api.POST('/api/v1/incidents', {
          params: { header: { 'Idempotency-Key': keys.keyFor(action) } },
          body,
        }),
      );
      keys.settled(action);
      return answer;
    },
    onSuccess: (incident) => setFiled(incident),
  });
  const submit = (v: Values) => {
    const indicators = linesOf(v.indicators);
    create.mutate({
      category: v.category,
      severity: v.severity,
      title: v.title.trim(),
      description: v.description.trim(),
      affectedSystems: v.affectedSystems?.trim() || undefined,
      indicators: indicators.length > 0 ? indicators : undefined,
      occurredAt: v.occurredAt ? new Date(v.occurredAt).toISOString() : undefined,
    });
  };

  return (
    <Page
      title={t('newIncidentTitle')}
      extra={
        <Link to="/incidents" style={LINK_STYLE}>
          {t('back')}
        </Link>
      }
    >
      {filed ? (
        <Space direction="vertical" size="large" style={{ width: '100%' }}>
          <Alert
            type="success"
            role="status"
            showIcon
            title={t('filed', { reference: filed.reference })}
            action={
              <Link to={`/incidents/${filed.id}`} style={LINK_STYLE}>
                {filed.reference}
              </Link>
            }
          />
          <Card title={<CardTitle>{t('attachmentsSection')}</CardTitle>}>
            <AttachmentUpload incidentId={filed.id} />
          </Card>
        </Space>
      ) : (
        <Card>
          <Form<Values>
            form={form}
            layout="vertical"
            onFinish={submit}
            initialValues={{ severity: 'medium' }}
            style={{ maxWidth: 820 }}
          >
            <Flex gap="large" wrap>
              <Form.Item
                name="category"
                label={t('category')}
                rules={[{ required: true, message: t('categoryRequired') }]}
                style={{ minWidth: 280 }}
              >
                <Select<IncidentCategory>
                  options={INCIDENT_CATEGORIES.map((c) => ({
                    value: c,
                    label: t(`category_${c}`),
                  }))}
                />
              </Form.Item>
              <Form.Item
                name="severity"
                label={t('severity')}
                extra={t('severityHelp')}
                rules={[{ required: true, message: t('severityRequired') }]}
                style={{ minWidth: 200 }}
              >
                <Select<Severity>
                  options={SEVERITIES.map((s) => ({ value: s, label: t(`severity_${s}`) }))}
                />
              </Form.Item>
              <Form.Item
                name="occurredAt"
                label={t('occurredAt')}
                rules={[zodRule(incidentSchema.shape.occurredAt, t('occurredAtInvalid'))]}
              >
                <Input type="datetime-local" style={{ width: 240 }} />
              </Form.Item>
            </Flex>
            <Form.Item
              name="title"
              label={t('title')}
              rules={[zodRule(incidentSchema.shape.title, t('titleRequired'))]}
            >
              <Input maxLength={300} />
            </Form.Item>
            <Form.Item name="affectedSystems" label={t('affectedSystems')}>
              <Input.TextArea rows={2} maxLength={4000} />
            </Form.Item>
            <Form.Item
              name="description"
              label={t('description')}
              rules={[zodRule(incidentSchema.shape.description, t('descriptionRequired'))]}
            >
              <Input.TextArea rows={5} maxLength={20000} />
            </Form.Item>
            <Form.Item
              name="indicators"
              label={t('indicators')}
              extra={t('indicatorsHelp')}
              rules={[zodRule(incidentSchema.shape.indicators, t('indicatorsTooMany'))]}
            >
              <Input.TextArea rows={4} spellCheck={false} />
            </Form.Item>
            {create.isError ? (
              <div style={{ marginBottom: 16 }}>
                <ProblemAlert error={create.error} />
              </div>
            ) : null}
            <Button type="primary" htmlType="submit" loading={create.isPending}>
              {t('submitIncident')}
            </Button>
          </Form>
        </Card>
      )}
    </Page>
  );
}
