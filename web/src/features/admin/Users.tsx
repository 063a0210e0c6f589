import { useMemo, useState } from 'react';
import {
  Button,
  Card,
  Checkbox,
  Flex,
  Form,
  Input,
  Modal,
  Radio,
  Select,
  Space,
  Table,
  Typography,
} from 'antd';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { z } from 'zod/mini';
import { api, call, type Schemas } from '../../api/client';
import { useFormat, useMessages } from '../../i18n/i18n';
import { common } from '../../i18n/messages';
import { useCursorPages } from '../../ui/cursor';
import { Page } from '../../ui/Page';
import { Pager } from '../../ui/Pager';
import { ProblemAlert } from '../../ui/ProblemAlert';
import { QueryState } from '../../ui/QueryState';
import { zodRule } from '../../ui/zod-rule';
import { admin } from './messages';
import {
  ConfirmButton,
  Notice,
  OnceSecret,
  ToneTag,
  useAllOrganizations,
  type Organization,
} from './shared';

type User = Schemas['UserResponse'];
type PersonRole = User['roles'][number];

/** Roles a person may hold in each kind of organization (src/identity/auth/roles.ts). */
const ROLES_BY_KIND: Record<Organization['kind'], PersonRole[]> = {
  department: ['admin', 'analyst', 'approver', 'responder'],
  isp: ['isp_operator'],
  authority: ['auditor'],
  unit: ['unit_officer'],
};
const ALL_ROLES: PersonRole[] = [
  'admin',
  'analyst',
  'approver',
  'isp_operator',
  'auditor',
  'responder',
  'unit_officer',
];

/** The API's bounds (CreateUserRequest, the password policy). */
const userSchema = z.object({
  organizationId: z.uuid(),
  email: z.email().check(z.maxLength(254)),
  name: z.string().check(z.trim(), z.minLength(1), z.maxLength(200)),
  roles: z.array(z.enum(ALL_ROLES)).check(z.minLength(1), z.maxLength(5)),
  password: z.string().check(z.minLength(12), z.maxLength(1024)),
});

interface CreateValues {
  organizationId: string;
  email: string;
  name: string;
  roles: PersonRole[];
  mode: 'generated' | 'chosen';
  password?: string;
}

/** A password nobody sees, for the creation (the API requires one) before the reset makes a temporary one. */
function throwawayPassword(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return btoa(String.fromCharCode(...bytes));
}

interface TempPassword {
  email: string;
  password: string;
}

/** The roles the organization's kind allows (Form.Item gives value and onChange). */
function RoleChoice({
  kind,
  value,
  onChange,
}: {
  kind: Organization['kind'] | undefined;
  value?: PersonRole[];
  onChange?: (roles: PersonRole[]) => void;
}) {
  const c = useMessages(common);
  const allowed = kind ? ROLES_BY_KIND[kind] : [];
  return (
    <Checkbox.Group<PersonRole>
      value={value}
      onChange={onChange}
      options={allowed.map((r) => ({ value: r, label: c(`role_${r}`) }))}
      disabled={!kind}
    />
  );
}

function CreateUser({
  organizations,
  onDone,
}: {
  organizations: Organization[];
  onDone: (result: { user: User; temporary?: string; failed?: unknown } | null) => void;
}) {
  const t = useMessages(admin);
  const c = useMessages(common);
  const [form] = Form.useForm<CreateValues>();
  const organizationId = Form.useWatch('organizationId', form);
  const mode = Form.useWatch('mode', form);
  const kind = organizations.find((o) => o.id === organizationId)?.kind;
  const create = useMutation({
    mutationFn: async (values: CreateValues) => {
      const user = await call(() =>
        api.POST('/api/v1/users', {
          body: {
            organizationId: values.organizationId,
            email: values.email.trim(),
            name: values.name.trim(),
            roles: values.roles,
            password: values.mode === 'chosen' ? (values.password ?? '') : throwawayPassword(),
          },
        }),
      );
      if (values.mode === 'chosen') return { user };
      // A generated, temporary password: the reset makes one and marks it to be changed.
      try {
        const reset = await call(() =>
          api.POST('/api/v1/users/{id}/reset-password', {
            params: { path: { id: user.id } },
            body: {},
          }),
        );
        return { user: reset.user, temporary: reset.temporaryPassword };
      } catch (failed) {
        return { user, failed };
      }
    },
    onSuccess: (result) => {
      form.resetFields();
      onDone(result);
    },
  });
  return (
    <Card title={t('userNew')} style={{ marginBottom: 16 }}>
      {create.isError ? (
        <div style={{ marginBottom: 16 }}>
          <ProblemAlert error={create.error} />
        </div>
      ) : null}
      <Form<CreateValues>
        form={form}
        layout="vertical"
        initialValues={{ mode: 'generated', roles: [] }}
        onFinish={(values) => create.mutate(values)}
        onValuesChange={(changed: Partial<CreateValues>) => {
          if (changed.organizationId) {
            const k = organizations.find((o) => o.id === changed.organizationId)?.kind;
            const allowed = k ? ROLES_BY_KIND[k] : [];
            form.setFieldValue('roles', allowed.length === 1 ? allowed : []);
          }
        }}
        style={{ maxWidth: 560 }}
      >
        <Form.Item
          label={t('organization')}
          name="organizationId"
          rules={[zodRule(userSchema.shape.organizationId, t('required'))]}
        >
          <Select
            showSearch={{ optionFilterProp: 'label' }}
            options={organizations.map((o) => ({
              value: o.id,
              label: `${o.shortCode} · ${o.name}`,
            }))}
          />
        </Form.Item>
        <Form.Item
          label={t('email')}
          name="email"
          rules={[zodRule(userSchema.shape.email, t('emailInvalid'))]}
        >
          <Input type="email" autoComplete="off" />
        </Form.Item>
        <Form.Item
          label={t('userName')}
          name="name"
          rules={[zodRule(userSchema.shape.name, t('userNameInvalid'))]}
        >
          <Input autoComplete="off" />
        </Form.Item>
        <Form.Item
          label={t('roles')}
          name="roles"
          extra={kind ? t('rolesHint') : t('chooseOrgFirst')}
          rules={[zodRule(userSchema.shape.roles, t('rolesRequired'))]}
        >
          <RoleChoice kind={kind} />
        </Form.Item>
        <Form.Item label={t('passwordMode')} name="mode">
          <Radio.Group
            options={[
              { value: 'generated', label: t('passwordGenerated') },
              { value: 'chosen', label: t('passwordChosen') },
            ]}
          />
        </Form.Item>
        {mode === 'chosen' ? (
          <Form.Item
            label={t('password')}
            name="password"
            rules={[zodRule(userSchema.shape.password, t('passwordTooShort'))]}
          >
            <Input.Password autoComplete="new-password" />
          </Form.Item>
        ) : null}
        <Space>
          <Button type="primary" htmlType="submit" loading={create.isPending}>
            {t('create')}
          </Button>
          <Button onClick={() => onDone(null)}>{c('cancel')}</Button>
        </Space>
      </Form>
    </Card>
  );
}

function EditUser({
  user,
  kind,
  onClose,
  onSaved,
}: {
  user: User;
  kind: Organization['kind'] | undefined;
  onClose: () => void;
  onSaved: (user: User) => void;
}) {
  const t = useMessages(admin);
  const c = useMessages(common);
  const [form] = Form.useForm<{ name: string; roles: PersonRole[] }>();
  const save = useMutation({
    mutationFn: (values: { name: string; roles: PersonRole[] }) =>
      call(() =>
        api.PATCH('/api/v1/users/{id}', {
          params: { path: { id: user.id } },
          body: { version: user.version, name: values.name.trim(), roles: values.roles },
        }),
      ),
    onSuccess: onSaved,
  });
  return (
    <Modal
      open
      title={t('userEditTitle', { email: user.email })}
      okText={c('save')}
      cancelText={c('cancel')}
      okButtonProps={{ loading: save.isPending }}
      onOk={() => form.submit()}
      onCancel={onClose}
      destroyOnHidden
    >
      {save.isError ? (
        <div style={{ marginBottom: 16 }}>
          <ProblemAlert error={save.error} />
        </div>
      ) : null}
      <Form
        form={form}
        layout="vertical"
        initialValues={{ name: user.name, roles: user.roles }}
        onFinish={(values) => save.mutate(values)}
      >
        <Form.Item
          label={t('userName')}
          name="name"
          rules={[zodRule(userSchema.shape.name, t('userNameInvalid'))]}
        >
          <Input autoComplete="off" />
        </Form.Item>
        <Form.Item
          label={t('roles')}
          name="roles"
          extra={t('rolesHint')}
          rules={[zodRule(userSchema.shape.roles, t('rolesRequired'))]}
        >
          <RoleChoice kind={kind} />
        </Form.Item>
      </Form>
    </Modal>
  );
}

export default function Users() {
  const t = useMessages(admin);
  const c = useMessages(common);
  const format = useFormat();
  const client = useQueryClient();
  const pages = useCursorPages();
  const organizations = useAllOrganizations();
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<User | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const [temporary, setTemporary] = useState<TempPassword | null>(null);
  const [orgFilter, setOrgFilter] = useState<string>('');
  const [roleFilter, setRoleFilter] = useState<string>('');
  const [text, setText] = useState('');
  const query = useQuery({
    queryKey: ['users', 'page', pages.cursor],
    queryFn: () =>
      call(() =>
        api.GET('/api/v1/users', {
          params: { query: { limit: 200, ...(pages.cursor ? { cursor: pages.cursor } : {}) } },
        }),
      ),
    placeholderData: keepPreviousData,
  });
  const orgById = useMemo(
    () => new Map((organizations.data ?? []).map((o) => [o.id, o])),
    [organizations.data],
  );
  const refresh = () => void client.invalidateQueries({ queryKey: ['users'] });

  function said(message: string) {
    setFailure(null);
    setNotice(message);
  }

  async function patch(user: User, body: Omit<Schemas['UpdateUserRequest'], 'version'>) {
    const updated = await call(() =>
      api.PATCH('/api/v1/users/{id}', {
        params: { path: { id: user.id } },
        body: { version: user.version, ...body },
      }),
    );
    said(t('userUpdated', { email: updated.email }));
    refresh();
  }

  async function reset(user: User) {
    const result = await call(() =>
      api.POST('/api/v1/users/{id}/reset-password', {
        params: { path: { id: user.id } },
        body: {},
      }),
    );
    setNotice(null);
    if (result.temporaryPassword) {
      setTemporary({ email: user.email, password: result.temporaryPassword });
    }
    refresh();
  }

  const filterText = text.trim().toLowerCase();
  const visible = (items: User[]) =>
    items.filter(
      (u) =>
        (!orgFilter || u.organizationId === orgFilter) &&
        (!roleFilter || u.roles.includes(roleFilter as PersonRole)) &&
        (!filterText ||
          u.email.toLowerCase().includes(filterText) ||
          u.name.toLowerCase().includes(filterText)),
    );

  return (
    <Page
      title={t('usersTitle')}
      extra={
        creating ? null : (
          <Button
            type="primary"
            disabled={!organizations.data}
            onClick={() => {
              setNotice(null);
              setTemporary(null);
              setCreating(true);
            }}
          >
            {t('userNew')}
          </Button>
        )
      }
    >
      <Notice text={notice} />
      {failure ? (
        <div style={{ marginBottom: 16 }}>
          <ProblemAlert error={failure} />
        </div>
      ) : null}
      {organizations.isError ? (
        <div style={{ marginBottom: 16 }}>
          <ProblemAlert error={organizations.error} onRetry={() => void organizations.refetch()} />
        </div>
      ) : null}
      {temporary ? (
        <Card
          title={t('tempPasswordTitle', { email: temporary.email })}
          style={{ marginBottom: 16 }}
          extra={<Button onClick={() => setTemporary(null)}>{c('close')}</Button>}
        >
          <OnceSecret
            testId="temporary-password"
            label={t('tempPasswordLabel')}
            value={temporary.password}
            warning={t('tempPasswordLead')}
          />
        </Card>
      ) : null}
      {creating && organizations.data ? (
        <CreateUser
          organizations={organizations.data}
          onDone={(result) => {
            setCreating(false);
            if (!result) return;
            refresh();
            if (result.failed) {
              setNotice(t('userCreatedNoTemp', { email: result.user.email }));
              setFailure(result.failed);
              return;
            }
            said(t('userCreated', { email: result.user.email }));
            if (result.temporary) {
              setTemporary({ email: result.user.email, password: result.temporary });
            }
          }}
        />
      ) : null}
      <Flex gap="middle" wrap align="end" style={{ marginBottom: 12 }}>
        <label>
          <div>{t('filterOrganization')}</div>
          <Select
            aria-label={t('filterOrganization')}
            value={orgFilter}
            onChange={setOrgFilter}
            style={{ width: 260 }}
            options={[
              { value: '', label: t('filterAll') },
              ...(organizations.data ?? []).map((o) => ({
                value: o.id,
                label: `${o.shortCode} · ${o.name}`,
              })),
            ]}
          />
        </label>
        <label>
          <div>{t('filterRole')}</div>
          <Select
            aria-label={t('filterRole')}
            value={roleFilter}
            onChange={setRoleFilter}
            style={{ width: 240 }}
            options={[
              { value: '', label: t('filterAll') },
              ...ALL_ROLES.map((r) => ({ value: r, label: c(`role_${r}`) })),
            ]}
          />
        </label>
        <label>
          <div>{t('filterText')}</div>
          <Input
            value={text}
            onChange={(e) => setText(e.target.value)}
            style={{ width: 260 }}
            allowClear
          />
        </label>
      </Flex>
      <QueryState query={query} isEmpty={(d) => d.items.length === 0}>
        {(data) => (
          <>
            <Table<User>
              aria-label={t('usersTable')}
              rowKey="id"
              dataSource={visible(data.items)}
              pagination={false}
              size="middle"
              columns={[
                {
                  title: t('userName'),
                  key: 'name',
                  render: (_, u) => (
                    <Space orientation="vertical" size={0}>
                      <Typography.Text strong>{u.name}</Typography.Text>
                      <span>{u.email}</span>
                    </Space>
                  ),
                },
                {
                  title: t('organization'),
                  dataIndex: 'organizationId',
                  render: (id: string) => {
                    const org = orgById.get(id);
                    return org ? `${org.shortCode} · ${org.name}` : t('unknownOrganization');
                  },
                },
                {
                  title: t('roles'),
                  dataIndex: 'roles',
                  render: (roles: PersonRole[]) =>
                    roles.map((r) => (
                      <ToneTag key={r} tone="neutral">
                        {c(`role_${r}`)}
                      </ToneTag>
                    )),
                },
                {
                  title: t('status'),
                  key: 'status',
                  render: (_, u) => (
                    <Space size={4} wrap>
                      {u.disabled ? (
                        <ToneTag tone="danger">{t('disabled')}</ToneTag>
                      ) : (
                        <ToneTag tone="success">{t('active')}</ToneTag>
                      )}
                      {u.passwordChangeRequired ? (
                        <ToneTag tone="caution">{t('mustChange')}</ToneTag>
                      ) : null}
                      {u.lockedUntil && new Date(u.lockedUntil) > new Date() ? (
                        <ToneTag tone="caution">
                          {t('locked', { time: format.dateTime(u.lockedUntil) })}
                        </ToneTag>
                      ) : null}
                    </Space>
                  ),
                },
                {
                  title: t('lastLogin'),
                  dataIndex: 'lastLoginAt',
                  render: (iso: string | null) => format.dateTime(iso),
                },
                {
                  title: c('actions'),
                  key: 'actions',
                  render: (_, u) => (
                    <Space wrap size={4}>
                      <Button
                        size="small"
                        aria-label={`${t('edit')} ${u.email}`}
                        onClick={() => {
                          setNotice(null);
                          setEditing(u);
                        }}
                      >
                        {t('edit')}
                      </Button>
                      <ConfirmButton
                        label={t('resetPassword')}
                        title={`${t('resetPassword')}: ${u.email}`}
                        content={t('resetConfirm', { email: u.email })}
                        onConfirm={() => reset(u)}
                      />
                      <ConfirmButton
                        danger={!u.disabled}
                        label={u.disabled ? t('enableUser') : t('disableUser')}
                        title={`${u.disabled ? t('enableUser') : t('disableUser')}: ${u.email}`}
                        content={
                          u.disabled
                            ? t('enableConfirm', { email: u.email })
                            : t('disableConfirm', { email: u.email })
                        }
                        onConfirm={() => patch(u, { disabled: !u.disabled })}
                      />
                    </Space>
                  ),
                },
              ]}
            />
            <Typography.Paragraph type="secondary" style={{ marginTop: 8 }}>
              {t('filterNote')}
            </Typography.Paragraph>
            <Pager pages={pages} nextCursor={data.nextCursor} />
          </>
        )}
      </QueryState>
      {editing ? (
        <EditUser
          user={editing}
          kind={orgById.get(editing.organizationId)?.kind}
          onClose={() => setEditing(null)}
          onSaved={(user) => {
            setEditing(null);
            said(t('userUpdated', { email: user.email }));
            refresh();
          }}
        />
      ) : null}
    </Page>
  );
}
