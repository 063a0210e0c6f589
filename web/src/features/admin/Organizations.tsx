import { useState } from 'react';
import { Button, Card, Form, Input, Modal, Radio, Space, Table, Typography } from 'antd';
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
import { Notice, ToneTag, type Organization } from './shared';

const KINDS = ['isp', 'department', 'authority'] as const;
type Kind = (typeof KINDS)[number];

/** The API's bounds (CreateOrganizationRequest, ContactsDto): an empty contact is left out. */
const phone = z.optional(
  z.union([z.literal(''), z.string().check(z.regex(/^[+0-9 ().-]{3,40}$/))]),
);
const organizationSchema = z.object({
  kind: z.enum(KINDS),
  name: z.string().check(z.trim(), z.minLength(2), z.maxLength(200)),
  shortCode: z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9-]{1,31}$/)),
  phone,
  hotline: phone,
  email: z.optional(z.union([z.literal(''), z.email().check(z.maxLength(254))])),
});

interface OrgValues {
  kind: Kind;
  name: string;
  shortCode: string;
  phone?: string;
  hotline?: string;
  email?: string;
}

function contactsOf(values: OrgValues): Schemas['ContactsDto'] {
  const contacts: Schemas['ContactsDto'] = {};
  if (values.phone?.trim()) contacts.phone = values.phone.trim();
  if (values.hotline?.trim()) contacts.hotline = values.hotline.trim();
  if (values.email?.trim()) contacts.email = values.email.trim();
  return contacts;
}

function ContactFields() {
  const t = useMessages(admin);
  return (
    <>
      <Form.Item
        label={t('contactPhone')}
        name="phone"
        rules={[zodRule(organizationSchema.shape.phone, t('phoneInvalid'))]}
      >
        <Input autoComplete="off" inputMode="tel" />
      </Form.Item>
      <Form.Item
        label={t('contactHotline')}
        name="hotline"
        rules={[zodRule(organizationSchema.shape.hotline, t('phoneInvalid'))]}
      >
        <Input autoComplete="off" inputMode="tel" />
      </Form.Item>
      <Form.Item
        label={t('contactEmail')}
        name="email"
        rules={[zodRule(organizationSchema.shape.email, t('emailInvalid'))]}
      >
        <Input type="email" autoComplete="off" />
      </Form.Item>
    </>
  );
}

function CreateOrganization({ onDone }: { onDone: (org: Organization | null) => void }) {
  const t = useMessages(admin);
  const c = useMessages(common);
  const [form] = Form.useForm<OrgValues>();
  const create = useMutation({
    mutationFn: (values: OrgValues) => {
      const contacts = contactsOf(values);
      return call(() =>
        api.POST('/api/v1/organizations', {
          body: {
            kind: values.kind,
            name: values.name.trim(),
            shortCode: values.shortCode.trim(),
            ...(Object.keys(contacts).length ? { contacts } : {}),
          },
        }),
      );
    },
    onSuccess: (org) => {
      form.resetFields();
      onDone(org);
    },
  });
  return (
    <Card title={t('orgNew')} style={{ marginBottom: 16 }}>
      {create.isError ? (
        <div style={{ marginBottom: 16 }}>
          <ProblemAlert error={create.error} />
        </div>
      ) : null}
      <Form<OrgValues>
        form={form}
        layout="vertical"
        initialValues={{ kind: 'isp' }}
        onFinish={(values) => create.mutate(values)}
        style={{ maxWidth: 560 }}
      >
        <Form.Item label={t('orgKind')} name="kind" rules={[{ required: true }]}>
          <Radio.Group
            options={KINDS.map((k) => ({ value: k, label: t(`kind_${k}`) }))}
            optionType="button"
          />
        </Form.Item>
        <Form.Item
          label={t('name')}
          name="name"
          rules={[zodRule(organizationSchema.shape.name, t('nameInvalid'))]}
        >
          <Input autoComplete="organization" autoFocus />
        </Form.Item>
        <Form.Item
          label={t('shortCode')}
          name="shortCode"
          extra={t('shortCodeHelp')}
          rules={[zodRule(organizationSchema.shape.shortCode, t('shortCodeInvalid'))]}
        >
          <Input autoComplete="off" style={{ textTransform: 'uppercase' }} />
        </Form.Item>
        <ContactFields />
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

function EditOrganization({
  org,
  onClose,
  onSaved,
}: {
  org: Organization;
  onClose: () => void;
  onSaved: (org: Organization) => void;
}) {
  const t = useMessages(admin);
  const c = useMessages(common);
  const [form] = Form.useForm<OrgValues>();
  const save = useMutation({
    mutationFn: (values: OrgValues) =>
      call(() =>
        api.PATCH('/api/v1/organizations/{id}', {
          params: { path: { id: org.id } },
          body: { version: org.version, name: values.name.trim(), contacts: contactsOf(values) },
        }),
      ),
    onSuccess: onSaved,
  });
  return (
    <Modal
      open
      title={t('orgEditTitle', { code: org.shortCode })}
      okText={c('save')}
      cancelText={c('cancel')}
      okButtonProps={{ loading: save.isPending, htmlType: 'submit' }}
      onOk={() => form.submit()}
      onCancel={onClose}
      destroyOnHidden
    >
      {save.isError ? (
        <div style={{ marginBottom: 16 }}>
          <ProblemAlert error={save.error} />
        </div>
      ) : null}
      <Form<OrgValues>
        form={form}
        layout="vertical"
        initialValues={{
          kind: org.kind,
          shortCode: org.shortCode,
          name: org.name,
          phone: org.contacts.phone ?? '',
          hotline: org.contacts.hotline ?? '',
          email: org.contacts.email ?? '',
        }}
        onFinish={(values) => save.mutate(values)}
      >
        <Form.Item
          label={t('name')}
          name="name"
          rules={[zodRule(organizationSchema.shape.name, t('nameInvalid'))]}
        >
          <Input autoComplete="organization" />
        </Form.Item>
        <ContactFields />
      </Form>
    </Modal>
  );
}

export default function Organizations() {
  const t = useMessages(admin);
  const c = useMessages(common);
  const format = useFormat();
  const client = useQueryClient();
  const pages = useCursorPages();
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<Organization | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const query = useQuery({
    queryKey: ['organizations', 'page', pages.cursor],
    queryFn: () =>
      call(() =>
        api.GET('/api/v1/organizations', {
          params: { query: { limit: 50, ...(pages.cursor ? { cursor: pages.cursor } : {}) } },
        }),
      ),
    placeholderData: keepPreviousData,
  });

  return (
    <Page
      title={t('orgTitle')}
      extra={
        creating ? null : (
          <Button
            type="primary"
            onClick={() => {
              setNotice(null);
              setCreating(true);
            }}
          >
            {t('orgNew')}
          </Button>
        )
      }
    >
      <Notice text={notice} />
      {creating ? (
        <CreateOrganization
          onDone={(org) => {
            setCreating(false);
            if (org) {
              setNotice(t('orgCreated', { code: org.shortCode }));
              void client.invalidateQueries({ queryKey: ['organizations'] });
            }
          }}
        />
      ) : null}
      <QueryState query={query} isEmpty={(d) => d.items.length === 0}>
        {(data) => (
          <>
            <Table<Organization>
              aria-label={t('orgTable')}
              rowKey="id"
              dataSource={data.items}
              pagination={false}
              size="middle"
              columns={[
                {
                  title: t('shortCode'),
                  dataIndex: 'shortCode',
                  render: (code: string) => <Typography.Text strong>{code}</Typography.Text>,
                },
                { title: t('name'), dataIndex: 'name' },
                {
                  title: t('orgKind'),
                  dataIndex: 'kind',
                  render: (kind: Kind) => (
                    <ToneTag
                      tone={kind === 'isp' ? 'info' : kind === 'department' ? 'caution' : 'other'}
                    >
                      {t(`kind_${kind}`)}
                    </ToneTag>
                  ),
                },
                {
                  title: t('contacts'),
                  key: 'contacts',
                  render: (_, org) => (
                    <Space orientation="vertical" size={0}>
                      {org.contacts.email ? <span>{org.contacts.email}</span> : null}
                      {org.contacts.hotline ? (
                        <span>
                          {t('contactHotline')}: {org.contacts.hotline}
                        </span>
                      ) : null}
                      {org.contacts.phone ? (
                        <span>
                          {t('contactPhone')}: {org.contacts.phone}
                        </span>
                      ) : null}
                    </Space>
                  ),
                },
                {
                  title: t('createdAt'),
                  dataIndex: 'createdAt',
                  render: (iso: string) => format.dateTime(iso),
                },
                {
                  title: c('actions'),
                  key: 'actions',
                  render: (_, org) => (
                    <Button
                      size="small"
                      aria-label={`${t('edit')} ${org.shortCode}`}
                      onClick={() => {
                        setNotice(null);
                        setEditing(org);
                      }}
                    >
                      {t('edit')}
                    </Button>
                  ),
                },
              ]}
            />
            <Pager pages={pages} nextCursor={data.nextCursor} />
            <Typography.Paragraph type="secondary" style={{ marginTop: 12 }}>
              {t('noDisable')}
            </Typography.Paragraph>
          </>
        )}
      </QueryState>
      {editing ? (
        <EditOrganization
          org={editing}
          onClose={() => setEditing(null)}
          onSaved={(org) => {
            setEditing(null);
            setNotice(t('orgUpdated', { code: org.shortCode }));
            void client.invalidateQueries({ queryKey: ['organizations'] });
          }}
        />
      ) : null}
    </Page>
  );
}
