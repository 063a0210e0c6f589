import { lazy, Suspense, useState } from 'react';
import { Alert, Button, Card, Flex, Form, Input, Select, Typography } from 'antd';
import { z } from 'zod/mini';
import { api, call } from '../../api/client';
import { adoptTokens } from '../../api/session';
import { useSession } from '../../auth/useSession';
import { LOCALES, useLocale, useMessages } from '../../i18n/i18n';
import { common } from '../../i18n/messages';
import { ProblemAlert } from '../../ui/ProblemAlert';
import { zodRule } from '../../ui/zod-rule';
import { auth } from './messages';

/** The response team's public contacts, below the form: its own chunk, after the form is shown. */
const ResponseTeamBlock = lazy(() => import('../response-team/ResponseTeamBlock'));

const credentials = z.object({
  email: z.email(),
  password: z.string().check(z.minLength(1), z.maxLength(1024)),
});

export default function SignIn() {
  const t = useMessages(auth);
  const c = useMessages(common);
  const session = useSession();
  const { locale, setLocale } = useLocale();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  document.title = `${t('signInTitle')} · ${c('appName')}`;

  async function submit(values: z.infer<typeof credentials>) {
    setBusy(true);
    setError(null);
    try {
      adoptTokens(await call(() => api.POST('/api/v1/auth/login', { body: values })));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="sign-in">
      <Card style={{ width: 420, maxWidth: '100%' }}>
        <Flex justify="space-between" align="start" gap="small">
          <Typography.Title level={1} style={{ fontSize: 22, marginTop: 0 }}>
            {t('signInTitle')}
          </Typography.Title>
          <Select
            aria-label={c('language')}
            value={locale}
            onChange={setLocale}
            options={LOCALES.map((l) => ({
              value: l,
              label: l === 'vi' ? 'Tiếng Việt' : 'English',
            }))}
            style={{ width: 130 }}
          />
        </Flex>
        <Typography.Paragraph type="secondary">
          {c('appName')}. {t('signInLead')}
        </Typography.Paragraph>
        {session.ended === 'expired' ? (
          <Alert type="warning" showIcon title={c('sessionExpired')} style={{ marginBottom: 16 }} />
        ) : null}
        {error ? (
          <div style={{ marginBottom: 16 }}>
            <ProblemAlert error={error} />
          </div>
        ) : null}
        <Form
          layout="vertical"
          onFinish={(v: z.infer<typeof credentials>) => void submit(v)}
          requiredMark={false}
        >
          <Form.Item
            label={t('email')}
            name="email"
            rules={[zodRule(credentials.shape.email, t('emailInvalid'))]}
          >
            <Input type="email" autoComplete="username" autoFocus />
          </Form.Item>
          <Form.Item
            label={t('password')}
            name="password"
            rules={[zodRule(credentials.shape.password, t('passwordRequired'))]}
          >
            <Input.Password autoComplete="current-password" />
          </Form.Item>
          <Button type="primary" htmlType="submit" block loading={busy}>
            {t('signIn')}
          </Button>
        </Form>
        <Suspense fallback={null}>
          <ResponseTeamBlock />
        </Suspense>
      </Card>
    </main>
  );
}
