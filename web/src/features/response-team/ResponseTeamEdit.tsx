import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Card, Descriptions, Form, Input } from 'antd';
import { z } from 'zod/mini';
import { api, call, type Schemas } from '../../api/client';
import { useMessages } from '../../i18n/i18n';
import { common } from '../../i18n/messages';
import { Page } from '../../ui/Page';
import { ProblemAlert } from '../../ui/ProblemAlert';
import { QueryState } from '../../ui/QueryState';
import { zodRule } from '../../ui/zod-rule';
import { team } from './messages';

type Contacts = Schemas['ResponseTeamContacts'];
interface Values {
  phone?: string;
  hotline?: string;
  email?: string;
}

const shortText = z.optional(z.string().check(z.maxLength(40)));
const email = z.optional(z.union([z.literal(''), z.email().check(z.maxLength(254))]));

/** The response team's public contacts, for admins and responders to keep current. */
export default function ResponseTeamEdit() {
  const t = useMessages(team);
  const query = useQuery({
    queryKey: ['response-team'],
    queryFn: () => call(() => api.GET('/api/v1/response-team')),
  });
  return (
    <Page title={t('editTitle')}>
      <QueryState query={query}>{(contacts) => <EditForm contacts={contacts} />}</QueryState>
    </Page>
  );
}

function EditForm({ contacts }: { contacts: Contacts }) {
  const t = useMessages(team);
  const c = useMessages(common);
  const client = useQueryClient();
  const save = useMutation({
    mutationFn: (body: Schemas['UpdateResponseTeamRequest']) =>
      call(() => api.PUT('/api/v1/response-team', { body })),
    onSuccess: (answer) => client.setQueryData(['response-team'], answer),
  });
  const submit = (v: Values) =>
    save.mutate({
      phone: v.phone?.trim() || null,
      hotline: v.hotline?.trim() || null,
      email: v.email?.trim() || null,
    });
  return (
    <Card style={{ maxWidth: 720 }}>
      <Alert type="info" showIcon title={t('editLead')} style={{ marginBottom: 16 }} />
      <Descriptions
        size="small"
        column={1}
        style={{ marginBottom: 16 }}
        styles={{ label: { color: 'rgba(0, 0, 0, 0.72)' } }}
      >
        <Descriptions.Item label={t('blockTitle')}>{contacts.name}</Descriptions.Item>
        <Descriptions.Item label={t('incidentMailbox')}>
          {contacts.incidentMailbox ?? t('notSet')}
        </Descriptions.Item>
      </Descriptions>
      <Form<Values>
        layout="vertical"
        initialValues={{
          phone: contacts.phone ?? '',
          hotline: contacts.hotline ?? '',
          email: contacts.email ?? '',
        }}
        onFinish={submit}
      >
        <Form.Item
          name="hotline"
          label={t('hotline')}
          rules={[zodRule(shortText, t('tooLong', { n: 40 }))]}
        >
          <Input maxLength={40} />
        </Form.Item>
        <Form.Item
          name="phone"
          label={t('phone')}
          rules={[zodRule(shortText, t('tooLong', { n: 40 }))]}
        >
          <Input maxLength={40} />
        </Form.Item>
        <Form.Item name="email" label={t('email')} rules={[zodRule(email, t('emailInvalid'))]}>
          <Input type="email" maxLength={254} />
        </Form.Item>
        {save.isError ? (
          <div style={{ marginBottom: 12 }}>
            <ProblemAlert error={save.error} />
          </div>
        ) : null}
        {save.isSuccess ? (
          <Alert
            style={{ marginBottom: 12 }}
            type="success"
            role="status"
            showIcon
            title={t('saved')}
          />
        ) : null}
        <Button type="primary" htmlType="submit" loading={save.isPending}>
          {c('save')}
        </Button>
      </Form>
    </Card>
  );
}
