import { createServer } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type pg from 'pg';
import { adminClient, sleep } from '#test/support/faults.js';
import { departmentStaff, isp, RequestFlow, unprotected } from '#test/support/requests.js';
import { instanceEnv, ServiceProcess } from '#test/support/service-process.js';
import { createTestApp, type TestApp } from '#test/support/test-app.js';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address ? address.port : 0;
}

interface Tally {
  /** Confirmation ids the service answered 201 for. */
  confirmed: string[];
  /** Polls answered 200 (each must be recorded as a pull once). */
  polled: number;
  /** Requests that found no server (refused or reset while it restarted). */
  refused: number;
  /** 503 "shutting down" answers while draining. */
  draining: number;
  /** Anything else: must stay empty. */
  unexpected: string[];
}

/**
 * The built service (node dist/src/main.js) restarted under a steady load of polls and
 * confirmations from an ISP: once gracefully (SIGTERM), once crashed (SIGKILL). Every
 * acknowledged confirmation is in the database afterwards, no 5xx but the drain's 503, and every
 * poll answered before a graceful stop is recorded once.
 */
describe('the service restarted under load', () => {
  let t: TestApp;
  let admin: pg.Client;
  let env: Record<string, string>;
  let base: string;
  let token: string;
  let organizationId: string;
  let assignmentId: string;

  beforeAll(async () => {
    t = await createTestApp();
    admin = await adminClient();
    const flow = new RequestFlow(t.app, await departmentStaff(t.app));
    const a = await isp(t.app);
    token = a.token;
    organizationId = a.org.id;
    const published = await flow.publish([a.org.id], [unprotected.domain()]);
    assignmentId = (
      await admin.query<{ id: string }>(
        'SELECT id FROM assignments WHERE request_id = $1 AND organization_id = $2',
        [published.id, a.org.id],
      )
    ).rows[0].id;
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    env = instanceEnv(String(port));
  });
  afterEach(async () => {
    await ServiceProcess.killAll();
  });
  afterAll(async () => {
    await admin.end();
    await t.close();
  });

  /** One client's loop: `call` again and again until stopped, every outcome tallied. */
  function load(
    tally: Tally,
    call: () => Promise<Response>,
    onOk: (res: Response) => Promise<void>,
  ) {
    let running = true;
    const done = (async () => {
      while (running) {
        let res: Response;
        try {
          res = await call();
        } catch {
          tally.refused++;
          await sleep(20);
          continue;
        }
        if (res.ok) await onOk(res);
        else if (res.status === 503 && /shutting down/.test(await res.text())) tally.draining++;
        else tally.unexpected.push(`${res.status} ${await res.text()}`);
      }
    })();
    return async () => {
      running = false;
      await done;
    };
  }

  it('keeps every acknowledged confirmation and records every answered poll once', async () => {
    const tally: Tally = { confirmed: [], polled: 0, refused: 0, draining: 0, unexpected: [] };
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    let first = ServiceProcess.start(env);
    await first.listening();
    const pullsBefore = (
      await admin.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM feed_pulls WHERE organization_id = $1',
        [organizationId],
      )
    ).rows[0].n;

    const stops = [
      ...[0, 1].map(() =>
        load(
          tally,
          () => fetch(`${base}/api/v1/feed/changes?after=0`, { headers }),
          async (res) => {
            await res.arrayBuffer();
            tally.polled++;
          },
        ),
      ),
      ...[0, 1].map(() =>
        load(
          tally,
          () =>
            fetch(`${base}/api/v1/assignments/${assignmentId}/confirmations`, {
              method: 'POST',
              headers,
              body: JSON.stringify({ status: 'rejected', reason: 'load test' }),
            }),
          async (res) => {
            tally.confirmed.push(((await res.json()) as { id: string }).id);
          },
        ),
      ),
    ];
    const downtimes: Record<string, number> = {};
    const restart = async (signal: 'SIGTERM' | 'SIGKILL'): Promise<void> => {
      await sleep(1500); // steady load first
      const at = Date.now();
      first.child.kill(signal);
      await first.exited;
      first = ServiceProcess.start(env);
      await first.listening();
      // Downtime: from the signal until the restarted service answers.
      for (;;) {
        const res = await fetch(`${base}/health/ready`).catch(() => undefined);
        if (res?.status === 200) break;
        await sleep(20);
      }
      downtimes[signal] = Date.now() - at;
    };

    // A graceful restart: answered polls are flushed at shutdown, so all are recorded.
    await restart('SIGTERM');
    await sleep(1500);
    const polledBeforeKill = tally.polled;
    // A crash.
    await restart('SIGKILL');
    await sleep(1500);
    await Promise.all(stops.map((stop) => stop()));
    // Graceful stop, so that this instance's buffered pulls are written too.
    first.child.kill('SIGTERM');
    expect((await first.exited).code).toBe(0);

    expect(tally.unexpected).toEqual([]);
    expect(tally.confirmed.length).toBeGreaterThan(20);
    const stored = await admin.query<{ id: string }>(
      'SELECT id FROM confirmations WHERE id = ANY($1::uuid[])',
      [tally.confirmed],
    );
    expect(stored.rowCount).toBe(tally.confirmed.length);
    const pulls =
      (
        await admin.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM feed_pulls WHERE organization_id = $1',
          [organizationId],
        )
      ).rows[0].n - pullsBefore;
    // Never more than answered (once, not twice); at least all those answered before the
    // crash; a crash loses at most the pulls of its last flush interval (about a second).
    expect(pulls).toBeLessThanOrEqual(tally.polled);
    expect(pulls).toBeGreaterThanOrEqual(polledBeforeKill);
    process.stdout.write(
      `[faults] restart under load: ${JSON.stringify({
        downtimeMs: downtimes,
        confirmations: tally.confirmed.length,
        confirmationsLost: tally.confirmed.length - (stored.rowCount ?? 0),
        polls: tally.polled,
        pullsRecorded: pulls,
        pullsLostInCrash: tally.polled - pulls,
        refused: tally.refused,
        draining503: tally.draining,
      })}\n`,
    );
  }, 120000);
});
