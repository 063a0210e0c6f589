import { Suspense } from 'react';
import { Button, Flex, Layout, Menu, Select, Skeleton, Tag, Typography } from 'antd';
import { Link, Outlet, useLocation } from 'react-router';
import { useSession } from '../auth/useSession';
import { signOut } from '../features/auth/sign-out';
import { LOCALES, useLocale, useMessages } from '../i18n/i18n';
import { common } from '../i18n/messages';
import { SCREENS } from '../routes';
import { nav } from './messages';

/** The frame of every screen once signed in: the menu of the person's roles, language, sign-out. */
export function Shell() {
  const session = useSession();
  const t = useMessages(common);
  const n = useMessages(nav);
  const { locale, setLocale } = useLocale();
  const location = useLocation();
  const roles = session.claims?.roles ?? [];
  const items = SCREENS.filter((s) => s.nav && s.roles.some((r) => roles.includes(r))).map((s) => ({
    key: s.path,
    label: <Link to={s.path}>{n(s.nav!)}</Link>,
  }));
  const selected = [...items]
    .map((i) => i.key)
    .filter((path) => location.pathname === path || location.pathname.startsWith(`${path}/`))
    .sort((a, b) => b.length - a.length)
    .slice(0, 1);
  return (
    <Layout style={{ minHeight: '100vh' }}>
      <a className="skip-link" href="#main">
        {t('skipToContent')}
      </a>
      <Layout.Header className="shell-header">
        <Flex justify="space-between" align="center" gap="middle" style={{ height: '100%' }}>
          <Typography.Text strong className="shell-brand">
            {t('appName')}
          </Typography.Text>
          <Flex align="center" gap="small" wrap>
            {roles.map((role) => (
              <Tag key={role}>{t(`role_${role}` as 'role_admin')}</Tag>
            ))}
            <Select
              aria-label={t('language')}
              value={locale}
              onChange={setLocale}
              options={LOCALES.map((l) => ({
                value: l,
                label: l === 'vi' ? 'Tiếng Việt' : 'English',
              }))}
              style={{ width: 130 }}
            />
            <Link to="/account/password" className="shell-account">
              {t('changePassword')}
            </Link>
            <Button onClick={() => void signOut()}>{t('signOut')}</Button>
          </Flex>
        </Flex>
      </Layout.Header>
      <Layout>
        <Layout.Sider width={240} theme="light" breakpoint="lg" collapsedWidth={0}>
          <nav aria-label={t('mainNav')}>
            <Menu mode="inline" selectedKeys={selected} items={items} />
          </nav>
        </Layout.Sider>
        <Layout.Content id="main" tabIndex={-1} style={{ padding: 24 }}>
          <main>
            <Suspense fallback={<Skeleton active />}>
              <Outlet />
            </Suspense>
          </main>
        </Layout.Content>
      </Layout>
    </Layout>
  );
}
