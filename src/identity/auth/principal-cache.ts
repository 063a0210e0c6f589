import { randomUUID } from 'node:crypto';
import {
  Global,
  Injectable,
  Logger,
  Module,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type pg from 'pg';
import { DataSource, type EntityManager } from 'typeorm';
import type { OrganizationKind, Role } from '#src/identity/auth/roles.js';
import { dedicatedClient } from '#src/platform/database/index.js';
import { monotonicMs } from '#src/platform/clock/index.js';
import { CallerCacheStats } from '#src/platform/metrics/index.js';

/** The channel on which every change to a caller's state is announced, at commit. */
export const PRINCIPAL_CHANGED = 'principal_changed';

/**
 * What a notification names: a user or an API client, by id, or a person's session (a
 * refresh-token family, the `sid` of their access tokens), by family id.
 */
export type PrincipalKey = `user:${string}` | `client:${string}` | `session:${string}`;

/**
 * Announces that a user's or an API client's state changed (disabled, roles, organization,
 * deletion, token generation, a password change required; revocation, secret), or that a session ended. Call it in the
 * transaction of the write: PostgreSQL delivers the notification at commit, and not at all on
 * rollback.
 */
export async function notifyPrincipalChanged(
  manager: EntityManager,
  key: PrincipalKey,
): Promise<void> {
  await manager.query('SELECT pg_notify($1, $2)', [PRINCIPAL_CHANGED, key]);
}

/** What is cached of a caller: only what the per-request checks read. */
export type CachedState =
  | {
      kind: 'user';
      organizationId: string;
      disabled: boolean;
      roles: Role[];
      generation: number;
      mustChangePassword: boolean;
    }
  | { kind: 'client'; organizationId: string; revoked: boolean; generation: number }
  /** A person's session (refresh-token family): ended by logout or refresh-token reuse. */
  | { kind: 'session'; ended: boolean }
  /** A verified (client id, secret) pair of an unrevoked ISP client. */
  | { kind: 'basic'; id: string; organizationId: string; organizationKind: OrganizationKind };

type StateOf<K extends CachedState['kind']> = Extract<CachedState, { kind: K }>;

/** A loaded state and the principal whose notifications evict it. */
export interface Loaded<K extends CachedState['kind']> {
  value: StateOf<K>;
  tag: PrincipalKey;
}

interface Entry {
  value: CachedState;
  tag: PrincipalKey;
  expiresAt: number;
}

/** Bounded size (least recently used go first) and age: a safety net, not the mechanism. */
export const MAX_ENTRIES = 10_000;
export const MAX_AGE_MS = 60_000;
const RECONNECT_MS = 2000;
/** The listener notifies itself this often; without one for HEARTBEAT_TIMEOUT_MS it is dead. */
const HEARTBEAT_MS = 5000;
const HEARTBEAT_TIMEOUT_MS = 15_000;
/** How long a writer waits for its own notification to come back before answering. */
const DELIVERY_WAIT_MS = 2000;

interface Listener {
  client: pg.Client;
  /** Drops this connection (once) and schedules the next one. */
  lost: (why: string) => void;
  pinging: boolean;
}

const isPrincipalKey = (payload: string): payload is PrincipalKey =>
  /^(user|client|session):./.test(payload);

const isKind = <K extends CachedState['kind']>(state: CachedState, kind: K): state is StateOf<K> =>
  state.kind === kind;

/**
 * The state of callers (users, API clients, verified Basic credentials) that every
 * authenticated request checks, held in memory so that a steady-state request needs no query.
 *
 * Correctness rests on LISTEN principal_changed, on a connection of its own: every write that
 * changes a caller's state notifies in its transaction, and every instance evicts on receipt.
 * The cache is used only while that connection is known to work (LISTEN acknowledged and a
 * heartbeat through the channel within HEARTBEAT_TIMEOUT_MS); otherwise every lookup reads
 * the database. When the connection comes (back) up, everything is dropped, since
 * notifications may have been missed. A load that overlapped an eviction is not stored.
 */
@Injectable()
export class PrincipalCache implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(PrincipalCache.name);
  private readonly entries = new Map<string, Entry>();
  private readonly byTag = new Map<PrincipalKey, Set<string>>();
  private readonly inFlight = new Map<
    string,
    { generation: number; load: Promise<{ value: CachedState } | undefined> }
  >();
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly nonce = randomUUID();
  /** Bumped by every eviction, clear and loss of trust: loads that straddle one are not kept. */
  private generation = 0;
  private listener: Listener | undefined;
  private listening = false;
  private heardAt = Number.NEGATIVE_INFINITY;
  private pid: number | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Lookups answered from memory, read from the database while trusted, or while not. */
  readonly lookups = { hit: 0, miss: 0, bypass: 0 };

  constructor(private readonly dataSource: DataSource) {}

  /** Whether cached entries may be used now. */
  get trusted(): boolean {
    return this.listening && monotonicMs() - this.heardAt < HEARTBEAT_TIMEOUT_MS;
  }

  /** The backend pid of the LISTEN connection while it is up (tests and diagnostics). */
  get listenerPid(): number | undefined {
    return this.listening ? this.pid : undefined;
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * The cached state under `key` when it may be trusted; otherwise `load()` reads it, and it is
   * kept if the cache was trusted throughout and nothing was evicted meanwhile (a change
   * committed during the read would otherwise be masked). Concurrent misses of one key share
   * one load. A load that returns undefined or throws is not cached.
   */
  async lookup<K extends CachedState['kind']>(
    key: string,
    kind: K,
    load: () => Promise<Loaded<K> | undefined>,
  ): Promise<StateOf<K> | undefined> {
    const hit = this.get(key);
    if (hit && isKind(hit, kind)) {
      this.lookups.hit++;
      return hit;
    }
    const generation = this.generation;
    const trustedBefore = this.trusted;
    // Joining a load in flight is as safe as a hit: only while trusted and nothing was evicted
    // since it started (without LISTEN, every request reads for itself).
    const shared = this.inFlight.get(key);
    if (trustedBefore && shared?.generation === generation) {
      this.lookups.hit++;
      const loaded = await shared.load;
      return loaded && isKind(loaded.value, kind) ? loaded.value : undefined;
    }
    this.lookups[trustedBefore ? 'miss' : 'bypass']++;
    const pending = load();
    if (trustedBefore) this.inFlight.set(key, { generation, load: pending });
    try {
      const loaded = await pending;
      if (loaded && trustedBefore && this.trusted && generation === this.generation) {
        this.store(key, loaded.tag, loaded.value);
      }
      return loaded?.value;
    } finally {
      if (this.inFlight.get(key)?.load === pending) this.inFlight.delete(key);
    }
  }

  /**
   * Runs a write that notifies `key` in its transaction and resolves true when it changed
   * something. Then evicts `key` here and waits (at most DELIVERY_WAIT_MS) until this
   * instance's listener has received the notification, so that the writer's answer comes
   * after the other instances, which get it at the same moment, have been told.
   */
  async propagate(key: PrincipalKey, write: () => Promise<boolean>): Promise<boolean> {
    return this.propagateEach(async (announce) => {
      const release = announce(key);
      const changed = await write();
      if (!changed) release();
      return changed;
    });
  }

  /**
   * `propagate` for writes that learn inside their transaction which keys they change (a
   * session found by its refresh token): the write calls `announce(key)` before it commits,
   * for each key it notifies (or `release()`s it again when it does not). Once the write has
   * resolved, every announced key is evicted here and its notification awaited, as above.
   */
  async propagateEach<T>(
    write: (announce: (key: PrincipalKey) => () => void) => Promise<T>,
  ): Promise<T> {
    const announced = new Map<PrincipalKey, { delivered: Promise<void>; release: () => void }>();
    const announce = (key: PrincipalKey): (() => void) => {
      const known = announced.get(key);
      if (known) return known.release;
      let resolve = (): void => undefined;
      const delivered = new Promise<void>((r) => (resolve = r));
      const waiting = this.waiters.get(key) ?? new Set();
      waiting.add(resolve);
      this.waiters.set(key, waiting);
      const release = (): void => {
        announced.delete(key);
        waiting.delete(resolve);
        if (waiting.size === 0 && this.waiters.get(key) === waiting) this.waiters.delete(key);
      };
      announced.set(key, { delivered, release });
      return release;
    };
    let timer: NodeJS.Timeout | undefined;
    try {
      const result = await write(announce);
      for (const key of announced.keys()) this.evict(key);
      if (this.listening && announced.size > 0) {
        await Promise.race([
          Promise.all([...announced.values()].map((a) => a.delivered)),
          new Promise<void>((r) => (timer = setTimeout(r, DELIVERY_WAIT_MS))),
        ]);
      }
      return result;
    } finally {
      clearTimeout(timer);
      for (const { release } of [...announced.values()]) release();
    }
  }

  async onApplicationBootstrap(): Promise<void> {
    void this.listen();
    this.heartbeat = setInterval(() => this.beat(), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.heartbeat);
    const listener = this.listener;
    this.listener = undefined;
    this.distrust();
    await listener?.client.end().catch(() => undefined);
  }

  private get(key: string): CachedState | undefined {
    const entry = this.entries.get(key);
    if (!entry || !this.trusted) return undefined;
    if (entry.expiresAt <= monotonicMs()) {
      this.remove(key);
      return undefined;
    }
    // Most recently used last: the map's order is the eviction order.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  private store(key: string, tag: PrincipalKey, value: CachedState): void {
    this.remove(key);
    this.entries.set(key, { value, tag, expiresAt: monotonicMs() + MAX_AGE_MS });
    const keys = this.byTag.get(tag) ?? new Set();
    keys.add(key);
    this.byTag.set(tag, keys);
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= MAX_ENTRIES) break;
      this.remove(oldest);
    }
  }

  private remove(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    const keys = this.byTag.get(entry.tag);
    keys?.delete(key);
    if (keys?.size === 0) this.byTag.delete(entry.tag);
  }

  /** Drops every entry of this principal (its own state and its verified Basic credentials). */
  private evict(tag: PrincipalKey): void {
    this.generation++;
    for (const key of this.byTag.get(tag) ?? []) this.entries.delete(key);
    this.byTag.delete(tag);
  }

  private clear(): void {
    this.generation++;
    this.entries.clear();
    this.byTag.clear();
  }

  /** The listener is gone: nothing cached may be used, and no writer should wait for it. */
  private distrust(): void {
    this.listening = false;
    this.pid = undefined;
    this.clear();
    for (const waiting of this.waiters.values()) for (const resolve of waiting) resolve();
  }

  private received(payload: string): void {
    this.heardAt = monotonicMs();
    if (payload.startsWith('ping:')) return;
    if (isPrincipalKey(payload)) this.evict(payload);
    else this.clear(); // not understood: the safe reading is "anything may have changed"
    for (const resolve of this.waiters.get(payload) ?? []) resolve();
  }

  private async listen(): Promise<void> {
    if (this.stopped) return;
    const client = dedicatedClient(this.dataSource, 'principals');
    const listener: Listener = {
      client,
      pinging: false,
      lost: (why) => {
        if (this.listener !== listener) return;
        this.listener = undefined;
        this.distrust();
        this.log.warn(
          `LISTEN ${PRINCIPAL_CHANGED} lost (${why}): reading callers from the database`,
        );
        client.end().catch(() => undefined);
        if (!this.stopped) setTimeout(() => void this.listen(), RECONNECT_MS).unref();
      },
    };
    this.listener = listener;
    client.on('error', (error) => listener.lost(String(error)));
    client.on('end', () => listener.lost('connection ended'));
    client.on('notification', (message) => {
      if (this.listener === listener && message.channel === PRINCIPAL_CHANGED) {
        this.received(message.payload ?? '');
      }
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${PRINCIPAL_CHANGED}`);
      const [row] = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows;
      if (this.listener !== listener) return;
      // Notifications sent before LISTEN took effect are lost: start from nothing.
      this.clear();
      this.pid = row?.pid;
      this.heardAt = monotonicMs();
      this.listening = true;
      this.log.log(`LISTEN ${PRINCIPAL_CHANGED}: caching callers`);
    } catch (error) {
      listener.lost(String(error));
    }
  }

  /** Sends a ping through the channel; a connection that has not delivered one for a while is dropped. */
  private beat(): void {
    const listener = this.listener;
    if (!listener || !this.listening) return;
    if (monotonicMs() - this.heardAt >= HEARTBEAT_TIMEOUT_MS) {
      listener.lost('no heartbeat');
      return;
    }
    if (listener.pinging) return;
    listener.pinging = true;
    listener.client
      .query('SELECT pg_notify($1, $2)', [PRINCIPAL_CHANGED, `ping:${this.nonce}`])
      .catch(() => undefined)
      .finally(() => (listener.pinging = false));
  }
}

/** Global: the platform's metrics read the cache's figures through CallerCacheStats. */
@Global()
@Module({
  providers: [PrincipalCache, { provide: CallerCacheStats, useExisting: PrincipalCache }],
  exports: [PrincipalCache, CallerCacheStats],
})
export class PrincipalCacheModule {}
