import { useEffect, useRef, useState } from 'react';
import { Alert, Button, Card, Flex, Form, Input, Modal, Progress } from 'antd';
import { useMutation, useQueries, useQueryClient } from '@tanstack/react-query';
import { api, call, type Schemas } from '../../api/client';
import { hasAnyRole, useSession } from '../../auth/useSession';
import { useFormat, useMessages } from '../../i18n/i18n';
import { ProblemAlert } from '../../ui/ProblemAlert';
import { requests } from './messages';
import { ToneTag, DataTable } from './shared';

type Detail = Schemas['BlockingRequestDetail'];
type Item = Schemas['RequestItemResponse'];
type Match = Schemas['ProtectedMatchDto'];

/** Items read per call (the API's maximum), and how many are checked before asking to go on. */
const BATCH = 1000;
const STEP = 10_000;
/** Examples kept per condition, as the API reports at most. */
const KEEP = 100;
/** Protected items whose override is looked up and shown. */
const SHOWN = 50;

export interface ProtectedHit {
  item: Item;
  matches: Match[];
}

interface Progress {
  key: string;
  cursor: string | undefined;
  finished: boolean;
  done: number;
  protectedCount: number;
  protectedHits: ProtectedHit[];
  inactiveCount: number;
  inactive: Item[];
  redCount: number;
  red: Item[];
}

function fresh(key: string): Progress {
  return {
    key,
    cursor: undefined,
    finished: false,
    done: 0,
    protectedCount: 0,
    protectedHits: [],
    inactiveCount: 0,
    inactive: [],
    redCount: 0,
    red: [],
  };
}

/**
 * What approval would refuse (src/publishing/blocking-requests/publication-rules.ts), checked
 * on the items page by page (1,000 per call, 10,000 before asking to go on): block items that
 * match a protected list (POST /protected-lists/check), expired or revoked block items, TLP:RED
 * items in a request to every ISP. A request of 100,000 items is never loaded at once.
 */
export function useApprovalCheck(request: Detail, enabled: boolean, canCheckProtected: boolean) {
  const key = `${request.id}:${request.version}`;
  const [limit, setLimit] = useState(STEP);
  const [state, setState] = useState<Progress>(() => fresh(key));
  const [error, setError] = useState<unknown>(null);
  const [running, setRunning] = useState(false);
  const progress = useRef<Progress>(fresh(key));

  useEffect(() => {
    if (!enabled) return;
    if (progress.current.key !== key) {
      progress.current = fresh(key);
      setState(progress.current);
    }
    let cancelled = false;
    async function run() {
      setRunning(true);
      setError(null);
      try {
        while (!cancelled && !progress.current.finished && progress.current.done < limit) {
          const p = progress.current;
          const page = await call(() =>
            api.GET('/api/v1/blocking-requests/{id}/items', {
              params: { path: { id: request.id }, query: { limit: BATCH, cursor: p.cursor } },
            }),
          );
          const blocks = page.items.filter((i) => i.operation === 'block');
          let hits: ProtectedHit[] = [];
          if (canCheckProtected && blocks.length > 0) {
            const checked = await call(() =>
              api.POST('/api/v1/protected-lists/check', {
                body: { items: blocks.map((i) => ({ type: i.type, value: i.value })) },
              }),
            );
            hits = checked.results.flatMap((r) => {
              const item = blocks[r.index];
              return item ? [{ item, matches: r.matches }] : [];
            });
          }
          if (cancelled || progress.current !== p) return;
          const inactive = blocks.filter((i) => i.indicatorStatus !== 'active');
          const red = request.targetsAll ? page.items.filter((i) => i.tlp === 'RED') : [];
          progress.current = {
            key,
            cursor: page.nextCursor ?? undefined,
            finished: !page.nextCursor,
            done: p.done + page.items.length,
            protectedCount: p.protectedCount + hits.length,
            protectedHits: [...p.protectedHits, ...hits].slice(0, KEEP),
            inactiveCount: p.inactiveCount + inactive.length,
            inactive: [...p.inactive, ...inactive].slice(0, KEEP),
            redCount: p.redCount + red.length,
            red: [...p.red, ...red].slice(0, KEEP),
          };
          setState(progress.current);
        }
      } catch (e) {
        if (!cancelled) setError(e);
      } finally {
        if (!cancelled) setRunning(false);
      }
    }
    void run();
    return () => {
      cancelled = true;
    };
  }, [enabled, key, limit, request.id, request.targetsAll, canCheckProtected]);

  return {
    state,
    running,
    error,
    more: () => setLimit((l) => l + STEP),
  };
}

/** The panel: each condition that would refuse approval, and how far the check went. */
export function ApprovalCheck({
  request,
  check,
  ispCount,
}: {
  request: Detail;
  check: ReturnType<typeof useApprovalCheck>;
  /** How many ISPs exist (undefined while unknown). */
  ispCount: number | undefined;
}) {
  const t = useMessages(requests);
  const f = useFormat();
  const session = useSession();
  const canCheck = hasAnyRole(session, ['admin', 'analyst', 'approver']);
  const mayOverride = hasAnyRole(session, ['approver']);
  const { state, running, error } = check;
  const total = request.itemCount;
  const shown = state.protectedHits.slice(0, SHOWN);
  const overrides = useQueries({
    queries: shown.map((h) => ({
      queryKey: ['indicator', h.item.indicatorId],
      queryFn: () =>
        call(() =>
          api.GET('/api/v1/indicators/{id}', { params: { path: { id: h.item.indicatorId } } }),
        ),
      staleTime: 60_000,
    })),
  });
  const overrideOf = (i: number) => overrides[i]?.data?.protectionOverride ?? null;
  const overridden = shown.filter((_, i) => overrideOf(i) !== null).length;
  // Overrides are looked up for the protected items shown (the first 50); the others count as
  // refused until shown: the panel may overstate, never understate, what approval refuses.
  const refusedProtected = state.protectedCount - overridden;
  const [overriding, setOverriding] = useState<Item | null>(null);

  const values = (items: Item[]) =>
    items
      .slice(0, 10)
      .map((i) => i.value)
      .join(', ') + (items.length > 10 ? ', …' : '');
  const conditions: { key: string; title: string; body: string }[] = [];
  if (total === 0) {
    conditions.push({ key: 'empty', title: t('refuseEmptyTitle'), body: t('refuseEmpty') });
  }
  if (request.deadlineAt && new Date(request.deadlineAt).getTime() <= Date.now()) {
    conditions.push({
      key: 'deadline',
      title: t('refuseDeadlineTitle'),
      body: t('refuseDeadline', { at: f.dateTime(request.deadlineAt) }),
    });
  }
  if (request.targetsAll && ispCount === 0) {
    conditions.push({ key: 'targets', title: t('refuseNoTargetTitle'), body: t('refuseNoTarget') });
  }
  if (state.inactiveCount > 0) {
    conditions.push({
      key: 'inactive',
      title: t('refuseInactiveTitle', { count: state.inactiveCount }),
      body: t('refuseInactive', { values: values(state.inactive) }),
    });
  }
  if (state.redCount > 0) {
    conditions.push({
      key: 'red',
      title: t('refuseRedTitle', { count: state.redCount }),
      body: t('refuseRed', { values: values(state.red) }),
    });
  }
  // Only a role that may run the protected-list check can be told that nothing would refuse.
  const nothing =
    canCheck &&
    conditions.length === 0 &&
    refusedProtected <= 0 &&
    !running &&
    !error &&
    state.done > 0;

  return (
    <Card title={<h2 style={{ margin: 0, fontSize: 18 }}>{t('checkTitle')}</h2>}>
      <p style={{ marginTop: 0 }}>{t('checkLead')}</p>
      {total > 0 ? (
        <div role="status" aria-live="polite" style={{ marginBottom: 12 }}>
          <Progress
            percent={Math.round((state.done / total) * 100)}
            status={running ? 'active' : 'normal'}
            aria-label={t('checkProgress', { done: state.done, total })}
          />
          <span>{t('checkProgress', { done: state.done, total })}</span>
        </div>
      ) : null}
      {!state.finished && !running && state.done > 0 && state.done < total ? (
        <Alert
          type="info"
          showIcon
          title={t('checkBounded', { done: state.done, total })}
          action={<Button onClick={check.more}>{t('checkMore')}</Button>}
          style={{ marginBottom: 12 }}
        />
      ) : null}
      {error ? <ProblemAlert error={error} /> : null}
      {!canCheck ? (
        <Alert type="info" showIcon title={t('checkNotAllowed')} style={{ marginBottom: 12 }} />
      ) : null}
      <Flex vertical gap="small">
        {conditions.map((c) => (
          <Alert key={c.key} type="error" showIcon title={c.title} description={c.body} />
        ))}
        {state.protectedCount > 0 ? (
          <Alert
            type={refusedProtected > 0 ? 'error' : 'success'}
            showIcon
            title={t('refuseProtectedTitle', { count: state.protectedCount })}
            description={t('refuseProtected')}
          />
        ) : null}
        {nothing ? (
          <Alert type="success" showIcon title={t('checkNone', { done: state.done })} />
        ) : null}
      </Flex>
      {shown.length > 0 ? (
        <DataTable<ProtectedHit>
          style={{ marginTop: 12 }}
          rowKey={(h) => h.item.indicatorId}
          dataSource={shown}
          pagination={false}
          size="small"
          caption={<span className="visually-hidden">{t('protectedCaption')}</span>}
          columns={[
            {
              title: t('value'),
              key: 'value',
              render: (_, h) => <code>{h.item.value}</code>,
            },
            {
              title: t('list'),
              key: 'list',
              render: (_, h) => [...new Set(h.matches.map((m) => m.listName))].join('; '),
            },
            {
              title: t('reason'),
              key: 'reason',
              render: (_, h) => h.matches.map((m) => m.reason).join('; '),
            },
            {
              title: t('override'),
              key: 'override',
              render: (_, h, i) => {
                const o = overrideOf(i);
                if (o)
                  return <ToneTag tone="success">{t('overridden', { reason: o.reason })}</ToneTag>;
                return (
                  <Flex gap="small" align="center" wrap>
                    <ToneTag tone="danger">{t('notOverridden')}</ToneTag>
                    {mayOverride ? (
                      <Button size="small" onClick={() => setOverriding(h.item)}>
                        {t('recordOverride')}
                      </Button>
                    ) : null}
                  </Flex>
                );
              },
            },
          ]}
        />
      ) : null}
      <OverrideModal item={overriding} onClose={() => setOverriding(null)} />
    </Card>
  );
}

function OverrideModal({ item, onClose }: { item: Item | null; onClose: () => void }) {
  const t = useMessages(requests);
  const [form] = Form.useForm<{ reason: string }>();
  const queryClient = useQueryClient();
  const mutation = useMutation({
    mutationFn: (reason: string) =>
      call(() =>
        api.POST('/api/v1/indicators/{id}/protection-override', {
          params: { path: { id: item?.indicatorId ?? '' } },
          body: { reason },
        }),
      ),
    onSuccess: (data) => {
      queryClient.setQueryData(['indicator', data.id], data);
      form.resetFields();
      onClose();
    },
  });
  return (
    <Modal
      open={item !== null}
      title={t('overrideTitle', { value: item?.value ?? '' })}
      okText={t('confirm')}
      onOk={() => void form.validateFields().then((v) => mutation.mutate(v.reason.trim()))}
      onCancel={() => {
        mutation.reset();
        onClose();
      }}
      confirmLoading={mutation.isPending}
      destroyOnHidden
    >
      {mutation.error ? <ProblemAlert error={mutation.error} /> : null}
      <Form form={form} layout="vertical" name="override">
        <Form.Item
          name="reason"
          label={t('overrideReason')}
          rules={[{ required: true, whitespace: true, message: t('reasonRequired') }]}
        >
          <Input.TextArea rows={3} maxLength={2000} />
        </Form.Item>
      </Form>
    </Modal>
  );
}
