import { useState } from 'react';
import { Link } from 'react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Card, Flex, Form, Input, Select, Space, Table, Typography } from 'antd';
import { z } from 'zod/mini';
import { api, apiUrl, call, type Schemas } from '../../api/client';
import { hasAnyRole, useSession } from '../../auth/useSession';
import { useFormat, useMessages } from '../../i18n/i18n';
import { Page } from '../../ui/Page';
import { Pager } from '../../ui/Pager';
import { QueryState } from '../../ui/QueryState';
import { useCursorPages } from '../../ui/cursor';
import { zodRule } from '../../ui/zod-rule';
import { response } from './messages';
import {
  CardTitle,
  UNIT_CATEGORIES,
  UNIT_EDITORS,
  linesOf,
  postFile,
  type UnitCategory,
} from './shared';
import { LINK_STYLE } from '../../ui/links';
import { useIdempotencyKeys } from '../../ui/idempotency';
import { ProblemAlert } from '../../ui/ProblemAlert';

type Unit = Schemas['UnitSummaryResponse'];

/** The form's rules, the API's bounds (CreateUnitRequest). */
const unitSchema = z.object({
  name: z.string().check(z.trim(), z.minLength(2), z.maxLength(200)),
  shortCode: z.string().check(z.regex(/^[A-Za-z0-9-]{2,32}$/)),
  networks: z.string().check(
    z.refine((text) => {
      const n = linesOf(text).length;
      return n >= 1 && n <= 1000;
    }, 'networks'),
  ),
  asns: z.optional(
    z.string().check(
      z.refine((text) => {
        const parts = asnsOf(text);
        return parts !== null && parts.length <= 100;
      }, 'asns'),
    ),
  ),
  email: z.optional(z.union([z.literal(''), z.email()])),
});

/** ASNs typed with spaces or commas, or null when one is not a positive whole number. */
export function asnsOf(text: string | undefined): number[] | null {
  const parts = (text ?? '').split(/[\s,]+/).filter((p) => p.length > 0);
  const numbers = parts.map((p) => Number(p.replace(/^AS/i, '')));
  return numbers.every((n) => Number.isInteger(n) && n > 0 && n < 2 ** 32) ? numbers : null;
}

/** Units: search; for admins and responders, create one or import many from CSV. */
export default function Units() {
  const t = useMessages(response);
  const f = useFormat();
  const session = useSession();
  const mayEdit = hasAnyRole(session, UNIT_EDITORS);
  const [q, setQ] = useState('');
  const pages = useCursorPages();
  const query = useQuery({
    queryKey: ['units', q, pages.cursor],
    queryFn: () =>
      call(() =>
        api.GET('/api/v1/units', {
          params: { query: { limit: 50, cursor: pages.cursor, q: q || undefined } },
        }),
      ),
  });
  const columns = [
    {
      title: t('name'),
      key: 'name',
      render: (_: unknown, u: Unit) => (
        <Link to={`/units/${u.id}`} style={LINK_STYLE}>
          {u.name}
        </Link>
      ),
    },
    { title: t('shortCode'), dataIndex: 'shortCode', key: 'shortCode' },
    {
      title: t('unitCategory'),
      key: 'category',
      render: (_: unknown, u: Unit) => t(`unit_${u.category}`),
    },
    { title: t('district'), key: 'district', render: (_: unknown, u: Unit) => u.district ?? '—' },
    {
      title: t('networkCount'),
      key: 'networks',
      align: 'right' as const,
      render: (_: unknown, u: Unit) => f.number(u.networkCount),
    },
  ];
  return (
    <Page title={t('unitsTitle')}>
      <Space direction="vertical" size="large" style={{ width: '100%' }}>
        {mayEdit ? (
          <Flex gap="large" wrap align="start">
            <CreateUnit />
            <ImportUnits />
          </Flex>
        ) : null}
        <Card>
          <Form
            layout="inline"
            style={{ marginBottom: 16 }}
            onFinish={({ q: text }: { q?: string }) => {
              setQ((text ?? '').trim());
              pages.reset();
            }}
          >
            <Form.Item name="q" label={t('searchUnits')} htmlFor="unit-search">
              <Input id="unit-search" maxLength={200} allowClear style={{ width: 280 }} />
            </Form.Item>
            <Button htmlType="submit">{t('searchUnits')}</Button>
          </Form>
          <QueryState query={query} isEmpty={(d) => d.items.length === 0 && !pages.hasPrevious}>
            {(data) => (
              <>
                <Table<Unit>
                  aria-label={t('unitsCaption')}
                  rowKey="id"
                  columns={columns}
                  dataSource={data.items}
                  pagination={false}
                />
                <Pager pages={pages} nextCursor={data.nextCursor} />
              </>
            )}
          </QueryState>
        </Card>
      </Space>
    </Page>
  );
}

interface UnitValues {
  name: string;
  shortCode: string;
  category: UnitCategory;
  district?: string;
  phone?: string;
  hotline?: string;
  email?: string;
  networks: string;
  asns?: string;
}

function CreateUnit() {
  const t = useMessages(response);
  const client = useQueryClient();
  const keys = useIdempotencyKeys();
  const [form] = Form.useForm<UnitValues>();
  const create = useMutation({
    mutationFn: async (body: Schemas['CreateUnitRequest']) => {
      const action = `unit:${JSON.stringify(body)}`;
      const answer = await call(() =>
        api.POST('/api/v1/units', {
          params: { header: { 'Idempotency-Key': keys.keyFor(action) } },
          body,
        }),
      );
      keys.settled(action);
      return answer;
    },
    onSuccess: async () => {
      form.resetFields();
      await client.invalidateQueries({ queryKey: ['units'] });
    },
  });
  const submit = (v: UnitValues) =>
    create.mutate({
      name: v.name.trim(),
      shortCode: v.shortCode.trim(),
      category: v.category,
      district: v.district?.trim() || undefined,
      contacts: {
        phone: v.phone?.trim() || undefined,
        hotline: v.hotline?.trim() || undefined,
        email: v.email?.trim() || undefined,
      },
      networks: linesOf(v.networks),
      asns: asnsOf(v.asns) ?? [],
    });
  return (
    <Card title={<CardTitle>{t('createUnit')}</CardTitle>} style={{ flex: 2, minWidth: 420 }}>
      <Typography.Paragraph type="secondary">{t('createUnitLead')}</Typography.Paragraph>
      <Form<UnitValues>
        form={form}
        layout="vertical"
        onFinish={submit}
        initialValues={{ category: 'commune' }}
      >
        <Flex gap="middle" wrap>
          <Form.Item
            name="name"
            label={t('name')}
            rules={[zodRule(unitSchema.shape.name, t('nameRequired'))]}
            style={{ flex: 2, minWidth: 240 }}
          >
            <Input maxLength={200} />
          </Form.Item>
          <Form.Item
            name="shortCode"
            label={t('shortCode')}
            rules={[zodRule(unitSchema.shape.shortCode, t('shortCodeInvalid'))]}
            style={{ flex: 1, minWidth: 160 }}
          >
            <Input maxLength={32} />
          </Form.Item>
        </Flex>
        <Flex gap="middle" wrap>
          <Form.Item name="category" label={t('unitCategory')} style={{ minWidth: 200 }}>
            <Select<UnitCategory>
              options={UNIT_CATEGORIES.map((c) => ({ value: c, label: t(`unit_${c}`) }))}
            />
          </Form.Item>
          <Form.Item name="district" label={t('district')} style={{ flex: 1, minWidth: 200 }}>
            <Input maxLength={200} />
          </Form.Item>
        </Flex>
        <Flex gap="middle" wrap>
          <Form.Item name="phone" label={t('phone')}>
            <Input maxLength={40} />
          </Form.Item>
          <Form.Item name="hotline" label={t('hotline')}>
            <Input maxLength={40} />
          </Form.Item>
          <Form.Item
            name="email"
            label={t('email')}
            rules={[zodRule(unitSchema.shape.email, t('emailInvalid'))]}
          >
            <Input type="email" maxLength={254} />
          </Form.Item>
        </Flex>
        <Form.Item
          name="networks"
          label={t('networksLines')}
          rules={[zodRule(unitSchema.shape.networks, t('networksRequired'))]}
        >
          <Input.TextArea rows={3} spellCheck={false} />
        </Form.Item>
        <Form.Item
          name="asns"
          label={t('asns')}
          extra={t('asnsHelp')}
          rules={[zodRule(unitSchema.shape.asns, t('asnsInvalid'))]}
        >
          <Input />
        </Form.Item>
        {create.isError ? (
          <div style={{ marginBottom: 12 }}>
            <ProblemAlert error={create.error} />
          </div>
        ) : null}
        {create.isSuccess ? (
          <Alert
            style={{ marginBottom: 12 }}
            type="success"
            role="status"
            showIcon
            title={t('created', { name: create.data.name })}
          />
        ) : null}
        <Button type="primary" htmlType="submit" loading={create.isPending}>
          {t('create')}
        </Button>
      </Form>
    </Card>
  );
}

function ImportUnits() {
  const t = useMessages(response);
  const client = useQueryClient();
  const [file, setFile] = useState<File>();
  const run = useMutation({
    mutationFn: (csv: File) =>
      postFile<Schemas['UnitImportResult']>(
        apiUrl('/api/v1/units/import', undefined, 'post'),
        csv,
        'text/csv',
      ),
    onSuccess: async () => {
      setFile(undefined);
      await client.invalidateQueries({ queryKey: ['units'] });
    },
  });
  return (
    <Card title={<CardTitle>{t('importSection')}</CardTitle>} style={{ flex: 1, minWidth: 320 }}>
      <Flex vertical gap="small">
        <Typography.Paragraph type="secondary">{t('importLead')}</Typography.Paragraph>
        <label htmlFor="units-csv">
          <Typography.Text strong>{t('importFile')}</Typography.Text>
        </label>
        <input
          id="units-csv"
          key={run.isSuccess ? 'done' : 'new'}
          type="file"
          accept="text/csv,.csv"
          onChange={(e) => setFile(e.target.files?.[0])}
        />
        {run.isError ? <ProblemAlert error={run.error} /> : null}
        {run.isSuccess ? (
          <Alert
            type="success"
            role="status"
            showIcon
            title={t('imported', { units: run.data.units, networks: run.data.networks })}
          />
        ) : null}
        <div>
          <Button disabled={!file} loading={run.isPending} onClick={() => file && run.mutate(file)}>
            {t('importButton')}
          </Button>
        </div>
      </Flex>
    </Card>
  );
}
