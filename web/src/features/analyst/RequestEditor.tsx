import { useEffect, useRef, useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import {
  Alert,
  Button,
  Card,
  Checkbox,
  Col,
  Flex,
  Form,
  Input,
  InputNumber,
  Progress,
  Radio,
  Row,
  Select,
  Skeleton,
  Typography,
} from 'antd';
import { useNavigate, useParams } from 'react-router';
import { z } from 'zod/mini';
import { api, call, type Schemas } from '../../api/client';
import { useMessages } from '../../i18n/i18n';
import { common } from '../../i18n/messages';
import { Page } from '../../ui/Page';
import { ProblemAlert } from '../../ui/ProblemAlert';
import { zodRule } from '../../ui/zod-rule';
import { CheckResults, CheckSummary } from './CheckResults';
import { useIsps, useRequest } from './hooks';
import { analyst } from './messages';
import { useValueCheck } from './useValueCheck';
import { chunks, cleanValues, withoutFlagged } from './values';

type Detail = Schemas['BlockingRequestDetail'];
const CATEGORIES: Detail['category'][] = [
  'malware',
  'botnet',
  'phishing',
  'fraud',
  'gambling',
  'illegal_content',
  'other',
];
const SEVERITIES: Detail['severity'][] = ['low', 'medium', 'high', 'critical'];
const DNS_ACTIONS: Detail['dnsAction'][] = ['nxdomain', 'nodata', 'redirect'];
const IP_ACTIONS: Detail['ipAction'][] = ['drop', 'null_route'];

/** The API's bounds (CreateBlockingRequest / UpdateBlockingRequest). */
const fields = {
  documentNumber: z.string().check(z.regex(/^[\p{L}\p{N}][\p{L}\p{N} ./_-]{0,99}$/u)),
  title: z.string().check(z.minLength(3), z.maxLength(300)),
  legalBasis: z.string().check(z.minLength(3), z.maxLength(1000)),
  description: z.optional(z.string().check(z.maxLength(10000))),
  deadlineHours: z.int().check(z.gte(1), z.lte(720)),
  deadlineAt: z.string().check(z.minLength(1)),
  targetIds: z.array(z.string()).check(z.minLength(1)),
};

interface FormValues {
  documentNumber: string;
  title: string;
  legalBasis: string;
  description?: string;
  category: Detail['category'];
  severity: Detail['severity'];
  dnsAction: Detail['dnsAction'];
  ipAction: Detail['ipAction'];
  deadlineKind: 'hours' | 'at';
  deadlineHours?: number;
  deadlineAt?: string;
  targetsKind: 'all' | 'chosen';
  targetIds?: string[];
}

const DEFAULTS: Partial<FormValues> = {
  category: 'malware',
  severity: 'high',
  dnsAction: 'nxdomain',
  ipAction: 'drop',
  deadlineKind: 'hours',
  deadlineHours: 24,
  targetsKind: 'all',
  targetIds: [],
};

/** An instant as a datetime-local field's value (local time, to the minute). */
function localOf(iso: string | null): string | undefined {
  if (!iso) return undefined;
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function formOf(request: Detail): FormValues {
  return {
    documentNumber: request.documentNumber,
    title: request.title,
    legalBasis: request.legalBasis,
    description: request.description ?? undefined,
    category: request.category,
    severity: request.severity,
    dnsAction: request.dnsAction,
    ipAction: request.ipAction,
    deadlineKind: request.deadlineAt ? 'at' : 'hours',
    deadlineHours: request.deadlineHours,
    deadlineAt: localOf(request.deadlineAt),
    targetsKind: request.targetsAll ? 'all' : 'chosen',
    targetIds: request.targetOrganizationIds,
  };
}

/** The request's fields as the API takes them (create and update alike). */
function bodyOf(v: FormValues) {
  const all = v.targetsKind === 'all';
  return {
    title: v.title.trim(),
    legalBasis: v.legalBasis.trim(),
    ...(v.description?.trim() ? { description: v.description.trim() } : {}),
    category: v.category,
    severity: v.severity,
    dnsAction: v.dnsAction,
    ipAction: v.ipAction,
    targetsAll: all,
    targetOrganizationIds: all ? [] : (v.targetIds ?? []),
    deadlineHours: v.deadlineHours ?? 24,
    // An explicit deadline takes precedence over the hours (the API keeps it once set).
    ...(v.deadlineKind === 'at' && v.deadlineAt
      ? { deadlineAt: new Date(v.deadlineAt).toISOString() }
      : {}),
  };
}

function LetterFields({ editing }: { editing: boolean }) {
  const t = useMessages(analyst);
  const c = useMessages(common);
  return (
    <Card title={<h2 style={{ fontSize: 16, margin: 0 }}>{t('sectionLetter')}</h2>}>
      <Row gutter={16}>
        <Col xs={24} md={8}>
          <Form.Item
            label={t('documentNumber')}
            name="documentNumber"
            rules={[zodRule(fields.documentNumber, t('required'))]}
          >
            <Input disabled={editing} maxLength={100} autoComplete="off" />
          </Form.Item>
        </Col>
        <Col xs={24} md={16}>
          <Form.Item
            label={t('title')}
            name="title"
            rules={[zodRule(fields.title, t('tooLong', { max: 300 }))]}
          >
            <Input maxLength={300} />
          </Form.Item>
        </Col>
      </Row>
      <Form.Item
        label={t('legalBasis')}
        name="legalBasis"
        rules={[zodRule(fields.legalBasis, t('tooLong', { max: 1000 }))]}
      >
        <Input maxLength={1000} />
      </Form.Item>
      <Form.Item
        label={t('description')}
        name="description"
        rules={[zodRule(fields.description, t('tooLong', { max: 10000 }))]}
      >
        <Input.TextArea rows={2} maxLength={10000} />
      </Form.Item>
      <Row gutter={16}>
        <Col xs={12} md={6}>
          <Form.Item label={t('category')} name="category">
            <Select options={CATEGORIES.map((v) => ({ value: v, label: c(`category_${v}`) }))} />
          </Form.Item>
        </Col>
        <Col xs={12} md={6}>
          <Form.Item label={t('severity')} name="severity">
            <Select options={SEVERITIES.map((v) => ({ value: v, label: c(`severity_${v}`) }))} />
          </Form.Item>
        </Col>
      </Row>
    </Card>
  );
}

function ActionFields() {
  const t = useMessages(analyst);
  const kind = Form.useWatch<FormValues['deadlineKind']>('deadlineKind');
  return (
    <Card title={<h2 style={{ fontSize: 16, margin: 0 }}>{t('sectionAction')}</h2>}>
      <Row gutter={16}>
        <Col xs={24} md={12}>
          <Form.Item label={t('dnsAction')} name="dnsAction">
            <Select options={DNS_ACTIONS.map((v) => ({ value: v, label: t(`dns_${v}`) }))} />
          </Form.Item>
        </Col>
        <Col xs={24} md={12}>
          <Form.Item label={t('ipAction')} name="ipAction">
            <Select options={IP_ACTIONS.map((v) => ({ value: v, label: t(`ip_${v}`) }))} />
          </Form.Item>
        </Col>
      </Row>
      <Form.Item label={t('deadlineKind')} name="deadlineKind">
        <Radio.Group
          options={[
            { value: 'hours', label: t('deadlineByHours') },
            { value: 'at', label: t('deadlineByDate') },
          ]}
        />
      </Form.Item>
      {kind === 'at' ? (
        <Form.Item
          label={t('deadlineAt')}
          name="deadlineAt"
          rules={[zodRule(fields.deadlineAt, t('dateRequired'))]}
        >
          <Input type="datetime-local" style={{ maxWidth: 260 }} />
        </Form.Item>
      ) : (
        <Form.Item
          label={t('deadlineHours')}
          name="deadlineHours"
          rules={[zodRule(fields.deadlineHours, t('hoursRange'))]}
        >
          <InputNumber min={1} max={720} precision={0} style={{ width: 160 }} />
        </Form.Item>
      )}
    </Card>
  );
}

function TargetFields() {
  const t = useMessages(analyst);
  const kind = Form.useWatch<FormValues['targetsKind']>('targetsKind');
  const isps = useIsps();
  return (
    <Card title={<h2 style={{ fontSize: 16, margin: 0 }}>{t('sectionTargets')}</h2>}>
      <Form.Item label={t('targetsKind')} name="targetsKind">
        <Radio.Group
          options={[
            { value: 'all', label: t('targetsAll') },
            { value: 'chosen', label: t('targetsChosen') },
          ]}
        />
      </Form.Item>
      {kind === 'chosen' ? (
        isps.isError ? (
          <ProblemAlert error={isps.error} onRetry={() => void isps.refetch()} />
        ) : isps.isPending ? (
          <Skeleton active paragraph={{ rows: 1 }} />
        ) : (
          <Form.Item
            label={t('targetIsps')}
            name="targetIds"
            rules={[zodRule(fields.targetIds, t('targetsRequired'))]}
          >
            <Checkbox.Group
              options={isps.data.map((o) => ({ value: o.id, label: `${o.name} (${o.shortCode})` }))}
            />
          </Form.Item>
        )
      ) : null}
    </Card>
  );
}

function ValuesField({
  text,
  setText,
  check,
  existing,
}: {
  text: string;
  setText: (text: string) => void;
  check: ReturnType<typeof useValueCheck>;
  existing: number | null;
}) {
  const t = useMessages(analyst);
  const outcome = check.outcomeFor(text);
  const flagged = outcome ? outcome.protectedCount + outcome.invalidCount : 0;
  const [removed, setRemoved] = useState<number | null>(null);

  function removeFlagged() {
    if (!outcome) return;
    const next = withoutFlagged(outcome);
    const nextText = cleanValues(outcome).join('\n');
    setText(nextText);
    check.adopt(nextText, next);
    setRemoved(flagged);
  }

  return (
    <Card title={<h2 style={{ fontSize: 16, margin: 0 }}>{t('sectionValues')}</h2>}>
      <Flex vertical gap="middle">
        {existing !== null ? (
          <Alert type="info" role="status" title={t('itemCount', { count: existing })} />
        ) : null}
        <Typography.Text>{t('valuesLead')}</Typography.Text>
        <Form.Item label={t('valuesToAdd')} htmlFor="request-values" style={{ marginBottom: 0 }}>
          <Input.TextArea
            id="request-values"
            rows={8}
            value={text}
            spellCheck={false}
            onChange={(e) => {
              setText(e.target.value);
              setRemoved(null);
            }}
          />
        </Form.Item>
        <Flex gap="small" wrap>
          <Button onClick={() => void check.run(text)} loading={check.busy}>
            {t('check')}
          </Button>
          {flagged > 0 ? (
            <Button onClick={removeFlagged}>{t('removeFlagged', { count: flagged })}</Button>
          ) : null}
        </Flex>
        {check.progress ? (
          <Progress
            aria-label={t('checking', check.progress)}
            percent={Math.round((check.progress.done / check.progress.total) * 100)}
          />
        ) : null}
        {check.error ? <ProblemAlert error={check.error} /> : null}
        {removed !== null ? (
          <Alert type="success" role="status" showIcon title={t('removed', { count: removed })} />
        ) : null}
        {outcome && outcome.values.length > 0 ? (
          <>
            <CheckSummary outcome={outcome} />
            <CheckResults key={outcome.id} outcome={outcome} />
          </>
        ) : null}
      </Flex>
    </Card>
  );
}

/** Saving: create or update the draft, add the values in chunks, optionally submit. */
function useSave(editId: string | undefined) {
  const t = useMessages(analyst);
  const navigate = useNavigate();
  const client = useQueryClient();
  const draft = useRef<{ id: string; version: number } | null>(null);
  const [step, setStep] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);

  async function save(form: FormValues, values: string[], submit: boolean, version?: number) {
    setError(null);
    try {
      const body = bodyOf(form);
      if (editId && !draft.current && version !== undefined)
        draft.current = { id: editId, version };
      if (draft.current) {
        setStep(t('stepUpdate'));
        const { id, version: current } = draft.current;
        const updated = await call(() =>
          api.PATCH('/api/v1/blocking-requests/{id}', {
            params: { path: { id } },
            body: { ...body, version: current },
          }),
        );
        draft.current = { id, version: updated.version };
      } else {
        setStep(t('stepCreate'));
        const created = await call(() =>
          api.POST('/api/v1/blocking-requests', {
            body: { ...body, documentNumber: form.documentNumber.trim() },
          }),
        );
        draft.current = { id: created.id, version: created.version };
      }
      const { id } = draft.current;
      let done = 0;
      for (const chunk of chunks(values)) {
        setStep(t('stepItems', { done, total: values.length }));
        const added = await call(() =>
          api.POST('/api/v1/blocking-requests/{id}/items', {
            params: { path: { id } },
            body: { operation: 'block', values: chunk, version: draft.current!.version },
          }),
        );
        draft.current = { id, version: added.version };
        done += chunk.length;
      }
      if (submit) {
        setStep(t('stepSubmit'));
        const submitted = await call(() =>
          api.POST('/api/v1/blocking-requests/{id}/submit', {
            params: { path: { id } },
            body: { version: draft.current!.version },
          }),
        );
        draft.current = { id, version: submitted.version };
      }
      void client.invalidateQueries({ queryKey: ['blocking-request', id] });
      await navigate(`/requests/${id}`);
    } catch (e) {
      setError(e);
    } finally {
      setStep(null);
    }
  }

  return { save, step, error, busy: step !== null };
}

function Editor({ request }: { request: Detail | null }) {
  const t = useMessages(analyst);
  const [form] = Form.useForm<FormValues>();
  const [text, setText] = useState('');
  const [blocked, setBlocked] = useState<number | null>(null);
  const check = useValueCheck();
  const saving = useSave(request?.id);

  useEffect(() => {
    if (request) form.setFieldsValue(formOf(request));
  }, [request, form]);

  async function save(submit: boolean) {
    setBlocked(null);
    let fieldValues: FormValues;
    try {
      fieldValues = await form.validateFields();
    } catch {
      return;
    }
    let values: string[] = [];
    if (text.trim()) {
      const outcome = check.outcomeFor(text) ?? (await check.run(text));
      if (!outcome) return;
      const flagged = outcome.protectedCount + outcome.invalidCount;
      if (flagged > 0) {
        setBlocked(flagged);
        return;
      }
      values = cleanValues(outcome);
    }
    await saving.save(fieldValues, values, submit, request?.version);
  }

  return (
    <Form<FormValues>
      form={form}
      layout="vertical"
      initialValues={DEFAULTS}
      onFinish={() => void save(true)}
      requiredMark={false}
    >
      <Flex vertical gap="middle">
        <LetterFields editing={Boolean(request)} />
        <ActionFields />
        <TargetFields />
        <ValuesField
          text={text}
          setText={(next) => {
            setText(next);
            setBlocked(null);
          }}
          check={check}
          existing={request ? request.itemCount : null}
        />
        {blocked !== null ? (
          <Alert
            type="warning"
            role="alert"
            showIcon
            title={t('flaggedBlock', { count: blocked })}
          />
        ) : null}
        {saving.step ? (
          <Alert type="info" role="status" title={t('savingStep', { step: saving.step })} />
        ) : null}
        {saving.error ? <ProblemAlert error={saving.error} /> : null}
        <Flex gap="small" wrap>
          <Button type="primary" htmlType="submit" loading={saving.busy}>
            {t('saveAndSubmit')}
          </Button>
          <Button onClick={() => void save(false)} disabled={saving.busy}>
            {t('saveDraft')}
          </Button>
        </Flex>
      </Flex>
    </Form>
  );
}

/** A new request (/requests/new) or a draft's edit (/requests/:id/edit). */
export default function RequestEditor() {
  const t = useMessages(analyst);
  const { id } = useParams();
  const query = useRequest(id);
  if (!id) {
    return (
      <Page title={t('newTitle')}>
        <Editor request={null} />
      </Page>
    );
  }
  const number = query.data?.documentNumber ?? '';
  return (
    <Page title={t('editTitle', { number })}>
      {query.isPending ? (
        <Skeleton active />
      ) : query.isError ? (
        <ProblemAlert error={query.error} onRetry={() => void query.refetch()} />
      ) : query.data.status !== 'draft' ? (
        <Alert type="warning" role="alert" showIcon title={t('notDraft')} />
      ) : (
        <Editor request={query.data} />
      )}
    </Page>
  );
}
