import { Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { DataSource } from 'typeorm';
import { CallerCacheStats } from '#src/platform/metrics/caller-cache-stats.js';

export interface HttpObservation {
  method: string;
  /** The route template (`/api/v1/things/:id`), never the raw URL: bounded label values. */
  route: string;
  status: number;
  durationSeconds: number;
}

/**
 * Why a connection was cut by a timeout: `idle` (nothing received or sent for
 * HTTP_IDLE_TIMEOUT_MS), `body` (a request body still incomplete after HTTP_BODY_TIMEOUT_MS,
 * answered 408), `send` (a client that stopped reading a stream for HTTP_SEND_TIMEOUT_MS).
 */
export type HttpTimeoutKind = 'idle' | 'body' | 'send';

/**
 * Prometheus metrics of this process: HTTP requests by route and status, latency histograms,
 * the database pool, the cache of callers, and Node's defaults. One registry per application
 * instance.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly latency: Histogram<'method' | 'route' | 'status'>;
  private readonly refusals: Counter<'limit'>;
  private readonly timeouts: Counter<'kind'>;

  constructor(dataSource: DataSource, principals: CallerCacheStats) {
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests answered, by method, route template and status code',
      labelNames: ['method', 'route', 'status'],
      registers: [this.registry],
    });
    this.latency = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time from receiving a request to sending the response, in seconds',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    });
    this.refusals = new Counter({
      name: 'limit_refusals_total',
      help: "Requests refused by a limit (429 or 413), by the limit's name (the `limit` member of the problem)",
      labelNames: ['limit'],
      registers: [this.registry],
    });
    this.timeouts = new Counter({
      name: 'http_timeouts_total',
      help: 'Connections cut by a timeout: idle (silent socket), body (request body too slow, 408), send (client stopped reading a stream)',
      labelNames: ['kind'],
      registers: [this.registry],
    });
    for (const kind of ['idle', 'body', 'send'] as const) this.timeouts.inc({ kind }, 0);
    const pool = (): Pool | undefined =>
      dataSource.isInitialized
        ? (dataSource.driver as unknown as { master?: Pool }).master
        : undefined;
    const poolGauge = (name: string, help: string, read: (p: Pool) => number): void => {
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          const p = pool();
          this.set(p ? read(p) : 0);
        },
      });
    };
    poolGauge(
      'db_pool_connections_total',
      'Connections open in the database pool',
      (p) => p.totalCount,
    );
    poolGauge(
      'db_pool_connections_idle',
      'Idle connections in the database pool',
      (p) => p.idleCount,
    );
    poolGauge(
      'db_pool_requests_waiting',
      'Queries waiting for a free connection from the database pool',
      (p) => p.waitingCount,
    );
    new Gauge({
      name: 'db_pool_connections_max',
      help: 'Largest number of connections the database pool may open',
      registers: [this.registry],
      collect() {
        const p = pool();
        this.set(p?.options.max ?? 0);
      },
    });
    new Counter({
      name: 'principal_cache_lookups_total',
      help: 'Checks of a caller (user, API client, Basic credentials): hit = from memory, miss = read from the database, bypass = read from the database because the cache cannot be trusted (LISTEN down)',
      labelNames: ['result'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [result, count] of Object.entries(principals.lookups))
          this.inc({ result }, count);
      },
    });
    new Gauge({
      name: 'principal_cache_entries',
      help: 'Callers held in the cache',
      registers: [this.registry],
      collect() {
        this.set(principals.size);
      },
    });
    new Gauge({
      name: 'principal_cache_trusted',
      help: '1 while the cache of callers may be used (its LISTEN connection works), else 0',
      registers: [this.registry],
      collect() {
        this.set(principals.trusted ? 1 : 0);
      },
    });
  }

  observe(o: HttpObservation): void {
    const labels = { method: o.method, route: o.route, status: String(o.status) };
    this.requests.inc(labels);
    this.latency.observe(labels, o.durationSeconds);
  }

  /**
   * A gauge read from `read` at each scrape, for a context's own figure (held long polls, say).
   * Registered once per name: each name is fixed in the code.
   */
  gauge(name: string, help: string, read: () => number): void {
    new Gauge({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.set(read());
      },
    });
  }

  /** A request was refused by the limit `name` (bounded: the names are fixed in the code). */
  refused(name: string): void {
    this.refusals.inc({ limit: name });
  }

  timedOut(kind: HttpTimeoutKind): void {
    this.timeouts.inc({ kind });
  }

  /** The exposition text; its media type is `Registry.PROMETHEUS_CONTENT_TYPE`. */
  render(): Promise<string> {
    return this.registry.metrics();
  }
}
