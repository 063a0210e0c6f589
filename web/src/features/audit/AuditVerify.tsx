import { useEffect, useRef, useState } from 'react';
import { Alert, Button, Descriptions, Flex, Progress, Typography } from 'antd';
import { api, call, type Schemas } from '../../api/client';
import { ProblemError } from '../../api/problem';
import { useFormat, useMessages } from '../../i18n/i18n';
import { Page } from '../../ui/Page';
import { ProblemAlert } from '../../ui/ProblemAlert';
import { audit } from './messages';

type Verification = Schemas['AuditVerification'];

/** Events verified per call: one call's work stays a few hundred milliseconds on the server. */
const CHUNK = 5000;

type Phase = 'idle' | 'head' | 'range' | 'whole' | 'done' | 'cancelled' | 'error';

interface State {
  phase: Phase;
  /** The chain's length as the head row said when the verification began. */
  total: number;
  /** Events verified so far (the last verified seq: ranges are consecutive from 1). */
  done: number;
  /** Checkpoints checked by the range calls (one on a range's boundary is counted twice). */
  checkpoints: number;
  range?: [number, number];
  result?: Verification;
  /** The whole verification's time, every call included. */
  elapsedMs?: number;
  error?: unknown;
}

const IDLE: State = { phase: 'idle', total: 0, done: 0, checkpoints: 0 };

/**
 * The whole chain, verified in consecutive ranges so that the progress shows and the person can
 * cancel. A range is anchored at the stored hash of the event before it (docs/audit.md#verification),
 * and the previous range verified that stored hash, so the ranges together check every digest,
 * every link and every checkpoint of the whole chain. Only a whole-chain call compares the head
 * row and the largest checkpoint with the chain's end: the verification ends with one, which also
 * covers the events appended meanwhile and gives the exact count of checkpoints.
 */
async function verifyChain(
  signal: AbortSignal,
  update: (change: Partial<State>) => void,
): Promise<Verification> {
  const verify = (query: { fromSeq?: number; toSeq?: number }) =>
    call(() => api.GET('/api/v1/audit/verify', { params: { query }, signal }));
  update({ phase: 'head' });
  let total = 0;
  try {
    // The smallest range there is: it answers with the head row (the chain's length).
    const probe = await verify({ fromSeq: 1, toSeq: 1 });
    if (!probe.valid) return probe;
    total = probe.head.seq;
  } catch (error) {
    // An empty chain has no event 1 (400): the whole-chain call says what there is.
    if (!(error instanceof ProblemError && error.status === 400)) throw error;
  }
  update({ total });
  let checkpoints = 0;
  for (let from = 1; from <= total; from += CHUNK) {
    const to = Math.min(total, from + CHUNK - 1);
    update({ phase: 'range', range: [from, to] });
    const part = await verify({ fromSeq: from, toSeq: to });
    checkpoints += part.checkpointsChecked;
    update({ done: part.verifiedThrough, checkpoints });
    if (!part.valid) return part;
  }
  update({ phase: 'whole', done: total });
  const whole = await verify({});
  update({ total: Math.max(total, whole.toSeq), done: whole.verifiedThrough });
  return whole;
}

export default function AuditVerify() {
  const t = useMessages(audit);
  const fmt = useFormat();
  const [state, setState] = useState<State>(IDLE);
  const controller = useRef<AbortController | null>(null);
  const resultRef = useRef<HTMLDivElement>(null);
  useEffect(() => () => controller.current?.abort(), []);

  const running = ['head', 'range', 'whole'].includes(state.phase);
  const start = async () => {
    const abort = new AbortController();
    controller.current = abort;
    const started = performance.now();
    setState({ ...IDLE, phase: 'head' });
    const update = (change: Partial<State>) => {
      if (!abort.signal.aborted) setState((s) => ({ ...s, ...change }));
    };
    try {
      const result = await verifyChain(abort.signal, update);
      update({
        phase: 'done',
        result,
        checkpoints: result.checkpointsChecked,
        elapsedMs: performance.now() - started,
      });
    } catch (error) {
      if (abort.signal.aborted) return;
      update({ phase: 'error', error });
    }
    resultRef.current?.focus();
  };
  const cancel = () => {
    controller.current?.abort();
    setState((s) => ({ ...s, phase: 'cancelled' }));
  };

  const percent =
    state.phase === 'done' && state.result?.valid
      ? 100
      : state.total > 0
        ? Math.min(100, Math.floor((state.done / state.total) * 100))
        : 0;
  const result = state.result;
  const status =
    state.phase === 'done'
      ? result?.valid
        ? 'success'
        : 'exception'
      : state.phase === 'error' || state.phase === 'cancelled'
        ? 'exception'
        : running
          ? 'active'
          : 'normal';
  const phaseText =
    state.phase === 'head'
      ? t('phaseHead')
      : state.phase === 'range' && state.range
        ? t('phaseRange', { from: state.range[0], to: state.range[1] })
        : state.phase === 'whole'
          ? t('phaseWhole')
          : '';
  const progressText = t('progress', { done: state.done, total: state.total });

  return (
    <Page title={t('verifyTitle')}>
      <Typography.Paragraph style={{ maxWidth: 820 }}>
        {t('verifyLead', { chunk: CHUNK })}
      </Typography.Paragraph>
      <Flex gap="small" style={{ marginBottom: 16 }}>
        <Button type="primary" onClick={() => void start()} disabled={running}>
          {state.phase === 'idle' ? t('start') : t('restart')}
        </Button>
        <Button onClick={cancel} disabled={!running}>
          {t('cancel')}
        </Button>
      </Flex>
      {state.phase !== 'idle' ? (
        <section aria-label={t('progressLabel')} style={{ maxWidth: 820 }}>
          <Progress
            percent={percent}
            status={status}
            aria-label={t('progressLabel')}
            aria-valuetext={`${percent} % — ${progressText}`}
          />
          <Flex gap="large" wrap>
            <Typography.Text>{progressText}</Typography.Text>
            <Typography.Text>{t('checkpoints', { count: state.checkpoints })}</Typography.Text>
          </Flex>
          <div aria-live="polite" style={{ minHeight: 22 }}>
            {phaseText ? <Typography.Text type="secondary">{phaseText}</Typography.Text> : null}
          </div>
        </section>
      ) : null}
      <div ref={resultRef} tabIndex={-1} style={{ marginTop: 16, maxWidth: 820, outline: 'none' }}>
        {state.phase === 'cancelled' ? (
          <Alert
            role="status"
            type="warning"
            showIcon
            title={t('cancelled', { seq: state.done })}
          />
        ) : null}
        {state.phase === 'error' ? <ProblemAlert error={state.error} /> : null}
        {state.phase === 'done' && result ? (
          result.valid ? (
            <Alert
              role="status"
              type="success"
              showIcon
              title={result.toSeq === 0 ? t('emptyChain') : t('valid')}
              description={
                <>
                  <div>
                    {t('validDetail', {
                      events: result.events,
                      through: result.verifiedThrough,
                      checkpoints: result.checkpointsChecked,
                      head: result.head.seq,
                      seconds: fmt.number((state.elapsedMs ?? result.durationMs) / 1000, 1),
                    })}
                  </div>
                  <div>
                    {t('headHash')}:{' '}
                    <code style={{ wordBreak: 'break-all' }}>{result.head.hash}</code>
                  </div>
                </>
              }
            />
          ) : (
            <Alert
              role="alert"
              type="error"
              showIcon
              title={t('broken', { seq: result.firstBreak?.seq ?? result.verifiedThrough + 1 })}
              description={
                result.firstBreak ? (
                  <Descriptions
                    column={1}
                    size="small"
                    items={[
                      {
                        key: 'kind',
                        label: t('brokenKind'),
                        children: (
                          <>
                            {t(`break_${result.firstBreak.kind}`)} (
                            <code>{result.firstBreak.kind}</code>)
                          </>
                        ),
                      },
                      {
                        key: 'message',
                        label: t('brokenMessage'),
                        children: result.firstBreak.message,
                      },
                      {
                        key: 'through',
                        label: t('seq'),
                        children: t('verifiedThrough', { seq: result.verifiedThrough }),
                      },
                    ]}
                  />
                ) : null
              }
            />
          )
        ) : null}
      </div>
    </Page>
  );
}
