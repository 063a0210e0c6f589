import { lazy, Suspense, useEffect, useState } from 'react';
import { ConfigProvider, Spin } from 'antd';
import viVN from 'antd/locale/vi_VN';
import enUS from 'antd/locale/en_US';
import dayjs from 'dayjs';
import 'dayjs/locale/vi';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { hasRefreshToken, refreshSession, sessionState, subscribeSession } from '../api/session';
import { useSession } from '../auth/useSession';
import ChangePassword from '../features/auth/ChangePassword';
import SignIn from '../features/auth/SignIn';
import { LocaleProvider, useLocale } from '../i18n/i18n';
import { ProblemError } from '../api/problem';
import { usePrefersReducedMotion } from '../ui/reduced-motion';

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 10_000,
      // A refusal is an answer: only network failures and 5xx are retried, once.
      retry: (count, error) =>
        count < 1 &&
        (!(error instanceof ProblemError) || error.status === 0 || error.status >= 500),
    },
  },
});

const SignedIn = lazy(() => import('./SignedIn'));

// What one person's session fetched is never shown to the next one in the same tab.
subscribeSession(() => {
  if (!sessionState().accessToken) queryClient.clear();
});

function Gate() {
  const session = useSession();
  // A reload keeps the tab's session: the refresh token in sessionStorage gives a new pair.
  const [restoring, setRestoring] = useState(() => !session.accessToken && hasRefreshToken());
  useEffect(() => {
    if (restoring) void refreshSession().finally(() => setRestoring(false));
  }, [restoring]);
  if (restoring) return <Spin fullscreen />;
  if (!session.accessToken) return <SignIn />;
  if (session.passwordChangeRequired) return <ChangePassword standalone />;
  return (
    <Suspense fallback={<Spin fullscreen />}>
      <SignedIn key={`${session.claims?.sub ?? ''}:${session.claims?.sid ?? ''}`} />
    </Suspense>
  );
}

function Themed() {
  const { locale } = useLocale();
  const reducedMotion = usePrefersReducedMotion();
  dayjs.locale(locale === 'vi' ? 'vi' : 'en');
  const nonce = document.querySelector<HTMLMetaElement>('meta[name="csp-nonce"]')?.content;
  return (
    <ConfigProvider
      locale={locale === 'vi' ? viVN : enUS}
      csp={nonce ? { nonce } : undefined}
      theme={{
        token: {
          motion: !reducedMotion,
          // Be Vietnam Pro is served by the service (src/app/console); system fonts otherwise.
          fontFamily:
            "'Be Vietnam Pro', system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', sans-serif",
          colorPrimary: '#0b5cad',
          // Links at WCAG AA contrast on white and on the light backgrounds of cards and tables.
          colorLink: '#0b5cad',
          // Status colours dark enough for text (Typography type="danger" etc.) at AA contrast.
          colorError: '#cf1322',
          colorWarning: '#ad6800',
          colorSuccess: '#237804',
          colorErrorText: '#a8071a',
          colorWarningText: '#874d00',
          colorSuccessText: '#135200',
          // …and the light backgrounds of alerts and tags as antd's defaults have them.
          colorSuccessBg: '#f6ffed',
          colorSuccessBorder: '#b7eb8f',
          colorWarningBg: '#fffbe6',
          colorWarningBorder: '#ffe58f',
          colorErrorBg: '#fff2f0',
          colorErrorBorder: '#ffccc7',
          // WCAG AA contrast for secondary text on white.
          colorTextSecondary: 'rgba(0, 0, 0, 0.65)',
          colorTextDescription: 'rgba(0, 0, 0, 0.65)',
        },
      }}
    >
      <Gate />
    </ConfigProvider>
  );
}

export function App() {
  return (
    <LocaleProvider>
      <QueryClientProvider client={queryClient}>
        <Themed />
      </QueryClientProvider>
    </LocaleProvider>
  );
}
