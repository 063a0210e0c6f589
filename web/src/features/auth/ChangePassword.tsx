import { useState } from 'react';
import { Alert, Button, Card, Form, Input, Typography } from 'antd';
import { z } from 'zod/mini';
import { api, call } from '../../api/client';
import { endSession } from '../../api/session';
import { useMessages } from '../../i18n/i18n';
import { ProblemAlert } from '../../ui/ProblemAlert';
import { zodRule } from '../../ui/zod-rule';
import { auth } from './messages';

const change = z.object({
  currentPassword: z.string().check(z.minLength(1), z.maxLength(1024)),
  newPassword: z.string().check(z.minLength(12), z.maxLength(1024)),
  repeat: z.string(),
});

/** Self-service password change; required after an administrator's reset (every session ends). */
export default function ChangePassword({ standalone = false }: { standalone?: boolean }) {
  const t = useMessages(auth);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);
  document.title = t('changeTitle');

  async function submit(values: z.infer<typeof change>) {
    setBusy(true);
    setError(null);
    try {
      await call(() =>
        api.POST('/api/v1/auth/change-password', {
          body: { currentPassword: values.currentPassword, newPassword: values.newPassword },
        }),
      );
      setDone(true);
      setTimeout(() => endSession('signed-out'), 1500);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  const card = (
    <Card style={{ width: 460, maxWidth: '100%' }}>
      <Typography.Title level={1} style={{ fontSize: 22, marginTop: 0 }}>
        {t('changeTitle')}
      </Typography.Title>
      <Typography.Paragraph type="secondary">{t('changeLead')}</Typography.Paragraph>
      {done ? <Alert type="success" showIcon role="status" title={t('changed')} /> : null}
      {error ? <ProblemAlert error={error} /> : null}
      <Form
        layout="vertical"
        onFinish={(v: z.infer<typeof change>) => void submit(v)}
        requiredMark={false}
      >
        <Form.Item
          label={t('currentPassword')}
          name="currentPassword"
          rules={[zodRule(change.shape.currentPassword, t('passwordRequired'))]}
        >
          <Input.Password autoComplete="current-password" />
        </Form.Item>
        <Form.Item
          label={t('newPassword')}
          name="newPassword"
          rules={[zodRule(change.shape.newPassword, t('passwordTooShort'))]}
        >
          <Input.Password autoComplete="new-password" />
        </Form.Item>
        <Form.Item
          label={t('repeatPassword')}
          name="repeat"
          dependencies={['newPassword']}
          rules={[
            ({ getFieldValue }) => ({
              validator: (_rule, value) =>
                value === getFieldValue('newPassword')
                  ? Promise.resolve()
                  : Promise.reject(new Error(t('passwordsDiffer'))),
            }),
          ]}
        >
          <Input.Password autoComplete="new-password" />
        </Form.Item>
        <Button type="primary" htmlType="submit" block loading={busy} disabled={done}>
          {t('change')}
        </Button>
      </Form>
    </Card>
  );
  return standalone ? <main className="sign-in">{card}</main> : card;
}
