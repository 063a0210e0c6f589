import { lazy, useState, type ComponentType } from 'react';
import { Button, Result } from 'antd';
import { createBrowserRouter, Link, Navigate, RouterProvider } from 'react-router';
import { hasAnyRole, useSession } from '../auth/useSession';
import ChangePassword from '../features/auth/ChangePassword';
import { useMessages } from '../i18n/i18n';
import { common } from '../i18n/messages';
import { Shell } from '../layout/Shell';
import { homeFor, SCREENS, type Screen } from '../routes';

/**
 * Everything past the sign-in screen: the router, the shell, the screens (each its own chunk).
 * Loaded once signed in, so that the first screen carries only what signing in needs.
 */
function NotAllowed({ forbidden }: { forbidden: boolean }) {
  const t = useMessages(common);
  return (
    <Result
      status={forbidden ? '403' : '404'}
      title={forbidden ? t('forbidden') : t('notFound')}
      extra={
        <Link to="/">
          <Button type="primary">{t('backHome')}</Button>
        </Link>
      }
    />
  );
}

const lazyScreens = new Map<Screen, ComponentType>(SCREENS.map((s) => [s, lazy(s.load)]));

function Guarded({ screen }: { screen: Screen }) {
  const session = useSession();
  if (!hasAnyRole(session, screen.roles)) return <NotAllowed forbidden />;
  const Component = lazyScreens.get(screen)!;
  return <Component />;
}

function Home() {
  const session = useSession();
  return <Navigate to={homeFor(session.claims?.roles ?? [])} replace />;
}

const routes = [
  {
    path: '/',
    element: <Shell />,
    children: [
      { index: true, element: <Home /> },
      { path: 'account/password', element: <ChangePassword /> },
      ...SCREENS.map((screen) => ({
        path: screen.path.slice(1),
        element: <Guarded screen={screen} />,
      })),
      { path: '*', element: <NotAllowed forbidden={false} /> },
    ],
  },
];

/** One router per session (App keys this on it): the next person starts at their own home. */
export default function SignedIn() {
  const [router] = useState(() => createBrowserRouter(routes));
  return <RouterProvider router={router} />;
}
