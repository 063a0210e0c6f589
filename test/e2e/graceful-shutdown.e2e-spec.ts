import type { AddressInfo } from 'node:net';
import { describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { ProbeModule } from '#test/support/probe.module.js';
import { createTestApp } from '#test/support/test-app.js';

describe('graceful shutdown (what main.ts does on SIGTERM)', () => {
  it('finishes the requests in flight, refuses new ones, then closes the pool', async () => {
    const t = await createTestApp({ extraImports: [ProbeModule] });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = t.app.getHttpServer().address() as AddressInfo;
    const base = `http://127.0.0.1:${port}`;

    const inFlight = fetch(`${base}/api/v1/__probe/slow`);
    await new Promise((resolve) => setTimeout(resolve, 150)); // the request has arrived
    const closing = t.app.close();

    const started = Date.now();
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ done: true });
    await closing;
    // Not held open by the in-flight request's keep-alive connection (72 s by default).
    expect(Date.now() - started).toBeLessThan(5000);
    await expect(fetch(`${base}/health/live`)).rejects.toThrow();
    expect(t.app.get(DataSource).isInitialized).toBe(false);
  });
});
