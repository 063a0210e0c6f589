import { useState } from 'react';
import { Alert, Button, Card, Flex, Form, Input, Select, Space, Table, Typography } from 'antd';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { z } from 'zod/mini';
import { api, call, type Schemas } from '../../api/client';
import type { operations } from '../../api/schema.gen';
import { hasAnyRole, useSession } from '../../auth/useSession';
import { useFormat, useMessages } from '../../i18n/i18n';
import { common } from '../../i18n/messages';
import { useCursorPages } from '../../ui/cursor';
import { Page } from '../../ui/Page';
import { Pager } from '../../ui/Pager';
import { ProblemAlert } from '../../ui/ProblemAlert';
import { QueryState } from '../../ui/QueryState';
import { zodRule } from '../../ui/zod-rule';
import { admin } from './messages';
import { ConfirmButton, Notice, ToneTag } from './shared';

type ProtectedList = Schemas['ProtectedListResponse'];
type Entry = Schemas['ProtectedEntryResponse'];
type EntryKind = Entry['kind'];

/** The API's bounds (CreateProtectedListRequest, AddProtectedEntriesRequest). */
const listSchema = z.object({
  name: z.string().check(z.trim(), z.minLength(2), z.maxLength(200)),
  description: z.optional(z.string().check(z.maxLength(2000))),
});
const MAX_ENTRIES = 10_000;
const entriesSchema = z.string().check(
  z.refine((text) => {
    const lines = linesOf(text);
    return lines.length >= 1 && lines.length <= MAX_ENTRIES;
  }),
);

function linesOf(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

/** An address or a network (IPv4 or IPv6, with or without a prefix) is a cidr entry, the rest a hostname. */
function detectKind(value: string): EntryKind {
  if (/^\d{1,3}(\.\d{1,3}){3}(\/\d{1,2})?$/.test(value)) return 'cidr';
  if (/^[0-9a-f:]+(\/\d{1,3})?$/i.test(value) && value.includes(':')) return 'cidr';
  return 'hostname';
}

/** One entry a line: the value, then (after white space) the reason. */
function entriesOf(text: string, kind: EntryKind | 'auto'): Schemas['NewProtectedEntry'][] {
  return linesOf(text).map((line) => {
    const match = /^(\S+)\s+(.+)$/.exec(line);
    const value = match ? match[1] : line;
    const comment = match?.[2]?.trim().slice(0, 500);
    return {
      kind: kind === 'auto' ? detectKind(value) : kind,
      value,
      ...(comment ? { comment } : {}),
    };
  });
}

/** A MISP warninglist (list.json), sent as read: the service checks it and says what is wrong. */
type MispDocument =
  operations['importMispWarninglist']['requestBody']['content']['application/json'];

function CreateList({ onDone }: { onDone: (list: ProtectedList | null) => void }) {
  const t = useMessages(admin);
  const c = useMessages(common);
  const [form] = Form.useForm<{ name: string; description?: string }>();
  const create = useMutation({
    mutationFn: (values: { name: string; description?: string }) =>
      call(() =>
        api.POST('/api/v1/protected-lists', {
          body: {
            name: values.name.trim(),
            ...(values.description?.trim() ? { description: values.description.trim() } : {}),
          },
        }),
      ),
    onSuccess: (list) => {
      form.resetFields();
      onDone(list);
    },
  });
  return (
    <Card title={t('listNew')} style={{ marginBottom: 16 }}>
      {create.isError ? (
        <div style={{ marginBottom: 16 }}>
          <ProblemAlert error={create.error} />
        </div>
      ) : null}
      <Form
        form={form}
        layout="vertical"
        onFinish={(values) => create.mutate(values)}
        style={{ maxWidth: 560 }}
      >
        <Form.Item
          label={t('listName')}
          name="name"
          rules={[zodRule(listSchema.shape.name, t('listNameInvalid'))]}
        >
          <Input autoComplete="off" autoFocus />
        </Form.Item>
        <Form.Item
          label={t('description')}
          name="description"
          rules={[zodRule(listSchema.shape.description, t('descriptionInvalid'))]}
        >
          <Input.TextArea rows={2} />
        </Form.Item>
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

function MispImport({ onDone }: { onDone: (message: string | null) => void }) {
  const t = useMessages(admin);
  const c = useMessages(common);
  const [doc, setDoc] = useState<MispDocument | null>(null);
  const [readError, setReadError] = useState<string | null>(null);
  const importIt = useMutation({
    mutationFn: (body: MispDocument) =>
      call(() =>
        api.POST('/api/v1/protected-lists/misp-import', {
          body,
        }),
      ),
    onSuccess: (result) =>
      onDone(
        t('mispImported', {
          name: result.list.name,
          added: result.added,
          removed: result.removed,
          skipped: result.skipped.length,
        }),
      ),
  });

  async function read(file: File | undefined) {
    setDoc(null);
    setReadError(null);
    importIt.reset();
    if (!file) return;
    try {
      // Sent as it is: the service states what is wrong with a document that is not a warninglist.
      setDoc(JSON.parse(await file.text()) as MispDocument);
    } catch {
      setReadError(t('mispInvalidJson'));
    }
  }

  return (
    <Card title={t('mispImport')} style={{ marginBottom: 16 }}>
      <Typography.Paragraph type="secondary">{t('mispLead')}</Typography.Paragraph>
      {importIt.isError ? (
        <div style={{ marginBottom: 16 }}>
          <ProblemAlert error={importIt.error} />
        </div>
      ) : null}
      {readError ? (
        <Alert type="error" role="alert" showIcon title={readError} style={{ marginBottom: 16 }} />
      ) : null}
      <Flex vertical gap="small" style={{ maxWidth: 560 }}>
        <label htmlFor="misp-file">
          <Typography.Text strong>{t('mispFile')}</Typography.Text>
        </label>
        <input
          id="misp-file"
          type="file"
          accept="application/json,.json"
          onChange={(e) => void read(e.target.files?.[0])}
        />
        {doc && typeof doc.name === 'string' && Array.isArray(doc.list) ? (
          <Typography.Text>
            {t('mispChosen', { name: doc.name, count: doc.list.length })}
          </Typography.Text>
        ) : null}
        <Space>
          <Button
            type="primary"
            disabled={!doc}
            loading={importIt.isPending}
            onClick={() => doc && importIt.mutate(doc)}
          >
            {t('mispImportButton')}
          </Button>
          <Button onClick={() => onDone(null)}>{c('cancel')}</Button>
        </Space>
      </Flex>
    </Card>
  );
}

function AddEntries({ list, onAdded }: { list: ProtectedList; onAdded: (text: string) => void }) {
  const t = useMessages(admin);
  const [form] = Form.useForm<{ kind: EntryKind | 'auto'; text: string }>();
  const add = useMutation({
    mutationFn: (values: { kind: EntryKind | 'auto'; text: string }) =>
      call(() =>
        api.POST('/api/v1/protected-lists/{id}/entries', {
          params: { path: { id: list.id } },
          body: { entries: entriesOf(values.text, values.kind) },
        }),
      ),
    onSuccess: (result) => {
      form.setFieldValue('text', '');
      onAdded(t('entriesAdded', { added: result.added, unchanged: result.unchanged }));
    },
  });
  return (
    <Form
      form={form}
      layout="vertical"
      initialValues={{ kind: 'auto', text: '' }}
      onFinish={(values) => add.mutate(values)}
      style={{ maxWidth: 720, marginBottom: 16 }}
    >
      {add.isError ? (
        <div style={{ marginBottom: 16 }}>
          <ProblemAlert error={add.error} />
        </div>
      ) : null}
      <Form.Item label={t('entryKind')} name="kind">
        <Select
          style={{ width: 300 }}
          options={(['auto', 'hostname', 'cidr', 'string'] as const).map((k) => ({
            value: k,
            label: t(`entryKind_${k}`),
          }))}
        />
      </Form.Item>
      <Form.Item
        label={t('entriesInput')}
        name="text"
        extra={t('entriesHelp')}
        rules={[zodRule(entriesSchema, t('entriesRequired'))]}
      >
        <Input.TextArea rows={4} spellCheck={false} />
      </Form.Item>
      <Button type="primary" htmlType="submit" loading={add.isPending}>
        {t('addEntries')}
      </Button>
    </Form>
  );
}

function Entries({
  list,
  canEdit,
  onChanged,
}: {
  list: ProtectedList;
  canEdit: boolean;
  onChanged: () => void;
}) {
  const t = useMessages(admin);
  const c = useMessages(common);
  const format = useFormat();
  const client = useQueryClient();
  const pages = useCursorPages();
  const [notice, setNotice] = useState<string | null>(null);
  const query = useQuery({
    queryKey: ['protected-lists', list.id, 'entries', pages.cursor],
    queryFn: () =>
      call(() =>
        api.GET('/api/v1/protected-lists/{id}/entries', {
          params: {
            path: { id: list.id },
            query: { limit: 50, ...(pages.cursor ? { cursor: pages.cursor } : {}) },
          },
        }),
      ),
    placeholderData: keepPreviousData,
  });
  const changed = (message: string) => {
    setNotice(message);
    void client.invalidateQueries({ queryKey: ['protected-lists', list.id, 'entries'] });
    onChanged();
  };
  async function remove(entry: Entry) {
    await call(() =>
      api.DELETE('/api/v1/protected-lists/{id}/entries/{entryId}', {
        params: { path: { id: list.id, entryId: entry.id } },
      }),
    );
    changed(t('entryDeleted', { value: entry.value }));
  }
  const editable = canEdit && list.origin !== 'builtin';
  return (
    <Card
      title={<span id="entries-title">{t('entriesTitle', { name: list.name })}</span>}
      style={{ marginTop: 16 }}
    >
      <Notice text={notice} />
      {editable ? <AddEntries list={list} onAdded={changed} /> : null}
      <QueryState query={query} isEmpty={(d) => d.items.length === 0}>
        {(data) => (
          <>
            <Table<Entry>
              aria-label={t('entriesTable', { name: list.name })}
              rowKey="id"
              dataSource={data.items}
              pagination={false}
              size="small"
              columns={[
                {
                  title: t('value'),
                  dataIndex: 'value',
                  render: (v: string) => <Typography.Text code>{v}</Typography.Text>,
                },
                {
                  title: t('entryKind'),
                  dataIndex: 'kind',
                  render: (k: EntryKind) => t(`entryKind_${k}`),
                },
                {
                  title: t('comment'),
                  dataIndex: 'comment',
                  render: (v: string | null) => v ?? '',
                },
                {
                  title: t('createdAt'),
                  dataIndex: 'createdAt',
                  render: (iso: string) => format.dateTime(iso),
                },
                ...(editable
                  ? [
                      {
                        title: c('actions'),
                        key: 'actions',
                        render: (_: unknown, e: Entry) => (
                          <ConfirmButton
                            danger
                            label={t('deleteEntry')}
                            title={t('deleteEntry')}
                            content={t('deleteEntryConfirm', { value: e.value })}
                            onConfirm={() => remove(e)}
                          />
                        ),
                      },
                    ]
                  : []),
              ]}
            />
            <Pager pages={pages} nextCursor={data.nextCursor} />
          </>
        )}
      </QueryState>
    </Card>
  );
}

export default function ProtectedLists() {
  const t = useMessages(admin);
  const c = useMessages(common);
  const session = useSession();
  const canEdit = hasAnyRole(session, ['admin']);
  const client = useQueryClient();
  const pages = useCursorPages();
  const [panel, setPanel] = useState<'create' | 'misp' | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [toggleError, setToggleError] = useState<unknown>(null);
  const query = useQuery({
    queryKey: ['protected-lists', 'page', pages.cursor],
    queryFn: () =>
      call(() =>
        api.GET('/api/v1/protected-lists', {
          params: { query: { limit: 50, ...(pages.cursor ? { cursor: pages.cursor } : {}) } },
        }),
      ),
    placeholderData: keepPreviousData,
  });
  const refresh = () => void client.invalidateQueries({ queryKey: ['protected-lists', 'page'] });

  async function setEnabled(list: ProtectedList, enabled: boolean) {
    await call(() =>
      api.PATCH('/api/v1/protected-lists/{id}', {
        params: { path: { id: list.id } },
        body: { version: list.version, enabled },
      }),
    );
    setNotice(t(enabled ? 'listEnabled' : 'listDisabled', { name: list.name }));
    refresh();
  }

  async function setEnabledSafe(list: ProtectedList) {
    setToggleError(null);
    try {
      await setEnabled(list, !list.enabled);
    } catch (e) {
      setToggleError(e);
    }
  }

  async function remove(list: ProtectedList) {
    await call(() =>
      api.DELETE('/api/v1/protected-lists/{id}', { params: { path: { id: list.id } } }),
    );
    if (selected === list.id) setSelected(null);
    setNotice(t('listDeleted', { name: list.name }));
    refresh();
  }

  const selectedList = query.data?.items.find((l) => l.id === selected) ?? null;

  return (
    <Page
      title={t('listsTitle')}
      extra={
        canEdit ? (
          <Space wrap>
            <Button
              type="primary"
              onClick={() => {
                setNotice(null);
                setPanel('create');
              }}
            >
              {t('listNew')}
            </Button>
            <Button
              onClick={() => {
                setNotice(null);
                setPanel('misp');
              }}
            >
              {t('mispImport')}
            </Button>
          </Space>
        ) : null
      }
    >
      <Typography.Paragraph type="secondary">{t('listsLead')}</Typography.Paragraph>
      {canEdit ? null : (
        <Alert type="info" showIcon title={t('readOnly')} style={{ marginBottom: 16 }} />
      )}
      <Notice text={notice} />
      {canEdit && panel === 'create' ? (
        <CreateList
          onDone={(list) => {
            setPanel(null);
            if (!list) return;
            setNotice(t('listCreated', { name: list.name }));
            setSelected(list.id);
            refresh();
          }}
        />
      ) : null}
      {canEdit && panel === 'misp' ? (
        <MispImport
          onDone={(message) => {
            setPanel(null);
            if (!message) return;
            setNotice(message);
            refresh();
          }}
        />
      ) : null}
      <QueryState query={query} isEmpty={(d) => d.items.length === 0}>
        {(data) => (
          <>
            <Table<ProtectedList>
              aria-label={t('listsTable')}
              rowKey="id"
              dataSource={data.items}
              pagination={false}
              size="middle"
              rowClassName={(l) => (l.id === selected ? 'ant-table-row-selected' : '')}
              columns={[
                {
                  title: t('listName'),
                  key: 'name',
                  render: (_, l) => (
                    <Space orientation="vertical" size={0}>
                      <Typography.Text strong>{l.name}</Typography.Text>
                      {l.description ? (
                        <Typography.Text type="secondary">{l.description}</Typography.Text>
                      ) : null}
                    </Space>
                  ),
                },
                {
                  title: t('origin'),
                  key: 'origin',
                  render: (_, l) => (
                    <>
                      <ToneTag tone={l.origin === 'misp' ? 'other' : 'neutral'}>
                        {t(`origin_${l.origin}`)}
                      </ToneTag>
                      {l.sourceVersion !== null
                        ? t('sourceVersion', { version: l.sourceVersion })
                        : null}
                    </>
                  ),
                },
                { title: t('entryCount'), dataIndex: 'entryCount' },
                {
                  title: t('enabled'),
                  dataIndex: 'enabled',
                  render: (on: boolean) =>
                    on ? (
                      <ToneTag tone="success">{t('yes')}</ToneTag>
                    ) : (
                      <ToneTag tone="danger">{t('no')}</ToneTag>
                    ),
                },
                {
                  title: c('actions'),
                  key: 'actions',
                  render: (_, l) => (
                    <Space size={4} wrap>
                      <Button
                        size="small"
                        aria-pressed={l.id === selected}
                        aria-label={`${t('viewEntries')}: ${l.name}`}
                        onClick={() => setSelected(l.id)}
                      >
                        {t('viewEntries')}
                      </Button>
                      {canEdit && l.origin !== 'builtin' ? (
                        <>
                          <Button size="small" onClick={() => void setEnabledSafe(l)}>
                            {l.enabled ? t('disable') : t('enable')}
                          </Button>
                          <ConfirmButton
                            danger
                            label={t('deleteList')}
                            title={t('deleteList')}
                            content={t('deleteListConfirm', { name: l.name })}
                            onConfirm={() => remove(l)}
                          />
                        </>
                      ) : null}
                    </Space>
                  ),
                },
              ]}
            />
            <Pager pages={pages} nextCursor={data.nextCursor} />
          </>
        )}
      </QueryState>
      {toggleError ? (
        <div style={{ marginTop: 16 }}>
          <ProblemAlert error={toggleError} />
        </div>
      ) : null}
      {selectedList ? (
        <Entries key={selectedList.id} list={selectedList} canEdit={canEdit} onChanged={refresh} />
      ) : null}
    </Page>
  );
}
