// @ts-check
// The main loop: follow the feed (snapshot once, then changes, long-polled), deploy each new
// version once, reload the resolver, prove it answers the version, send the feed receipt.
// Errors back off (full jitter, Retry-After honoured) and the step is tried again.
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { ApiClient, HttpError } from './client.js';
import { deploy, outputPaths, reload } from './outputs.js';
import { prove } from './proof.js';
import { loadState, recover, saveState } from './state.js';
import { EntrySet, RpzParser } from './zone.js';
import { Logger, backoffMs, errorMessage, sha256, sleep, writeFileAtomic } from './util.js';

export { loadConfig, usage, ConfigError } from './config.js';

const EVIDENCE_MAX = 2000;
/** A refused (422) receipt is sent again this many times, this long apart. */
const RECEIPT_RETRIES = 5;
const RECEIPT_RETRY_MS = 2000;

export class Agent {
  /**
   * @param {import('./config.js').Config} config
   * @param {{ log?: Logger, client?: ApiClient, signal?: AbortSignal }} [deps]
   */
  constructor(config, deps = {}) {
    this.config = config;
    this.log = deps.log ?? new Logger(config.logLevel);
    this.client = deps.client ?? new ApiClient(config);
    this.signal = deps.signal ?? new AbortController().signal;
    /** @type {import('./state.js').State} */
    this.state = /** @type {any} */ (null);
    /** @type {EntrySet | null} the entries at this.after; null: take a snapshot */
    this.set = null;
    /** The feed version this.set is at (state.after once deployed). */
    this.after = 0;
    /**
     * The served body this.set was last changed by, not deployed yet.
     * @type {{ format: 'rpz' | 'changes', sha256: string, version: number } | null}
     */
    this.source = null;
    /** @type {{ after: number, value: string } | null} */
    this.etag = null;
    this.waitSupported = config.waitSeconds > 0;
    /** @type {number | null} */
    this.serverVersion = null;
    /** @type {number | null} */
    this.lastSyncAt = null;
    /** @type {{ message: string, at: string } | null} */
    this.lastError = null;
    /** @type {number | null} */
    this.lastSuccessAt = null;
    /** When the set was last read whole (a restart counts as one: its zone was checked). */
    this.snapshotAt = Date.now();
  }

  /** Reads the state and what is on disk (state.js recover). */
  async start() {
    const state = await loadState(this.config.stateFile);
    const outputs = outputPaths(this.config);
    const recovery = await recover(state, this.config.rpzFile, outputs);
    this.state = recovery.state;
    this.set = recovery.set;
    this.after = this.state.after ?? 0;
    if (this.set) this.set.redirectTarget ??= this.config.redirectTarget;
    this.log.info(recovery.set ? 'resuming' : 'starting from a snapshot', {
      reason: recovery.reason,
      deployed: this.state.deployed?.version ?? null,
      after: this.state.after,
      confirmed: this.state.confirmed,
    });
    if (this.set && this.state.deployed && recovery.rerender) {
      // Another output was added or changed by hand: written again from the zone's entries.
      const d = this.state.deployed;
      this.state = await deploy(
        this.set,
        { version: d.version, after: d.after, source: d.source },
        this.config,
        { ...this.state, reloaded: 0 },
        this.log,
      );
      this.state.after = recovery.state.after;
      this.log.info('outputs written again from the zone', { version: d.version });
    }
    await saveState(this.config.stateFile, this.state);
  }

  /**
   * Follows the feed until the signal aborts (or, with --once, one pass). Answers the exit code.
   * @returns {Promise<number>}
   */
  async run() {
    let attempt = 0;
    let resets = 0;
    while (!this.signal.aborted) {
      const started = Date.now();
      try {
        const idle = await this.step();
        attempt = 0;
        this.lastSuccessAt = Date.now();
        await this.writeStatus();
        // After a feed reset the pass ended without entries: --once goes on to the snapshot.
        if (this.config.once && this.set !== null) {
          const deployed = this.state.deployed?.version;
          return deployed !== undefined && this.state.receiptRefused === deployed ? 1 : 0;
        }
        if (this.config.once && ++resets > 3) return 1;
        if (idle) {
          const polling = !this.waitSupported;
          const pause = polling ? this.config.pollIntervalMs : 1000 - (Date.now() - started);
          if (pause > 0) await sleep(pause, this.signal);
        }
      } catch (error) {
        if (this.signal.aborted) break;
        this.lastError = { message: errorMessage(error), at: new Date().toISOString() };
        const retryAfter = error instanceof HttpError ? error.retryAfterMs : null;
        const delay = retryAfter ?? backoffMs(attempt);
        attempt += 1;
        this.log.error('step failed', {
          error: this.lastError.message,
          ...(this.config.once ? {} : { retryInMs: delay }),
        });
        await this.writeStatus();
        if (this.config.once) return 1;
        await sleep(delay, this.signal);
      }
    }
    await saveState(this.config.stateFile, this.state);
    await this.writeStatus();
    this.log.info('stopped', { deployed: this.state.deployed?.version ?? null });
    // A --once pass cut short did not do its work: cron must see it.
    return this.config.once ? 1 : 0;
  }

  /**
   * One pass: finish the last deployment, follow the feed, deploy and confirm what changed.
   * Answers true when nothing new came.
   */
  async step() {
    // A deployment left unconfirmed (a resolver down, a reload failing) must not stop the feed:
    // new versions are still taken and written, and the latest one is proved and confirmed.
    let unconfirmed = false;
    try {
      await this.confirmDeployed();
    } catch (error) {
      if (this.signal.aborted) throw error;
      unconfirmed = true;
      this.log.warn('deployment not confirmed yet', { error: errorMessage(error) });
    }
    const changed = await this.sync(unconfirmed);
    await this.confirmDeployed();
    return !changed;
  }

  /**
   * Takes the snapshot when needed, then every page of changes; deploys once if anything
   * changed. Answers true when it deployed.
   */
  /** @param {boolean} [unconfirmed] a deployment waits for its confirmation: do not long-poll */
  async sync(unconfirmed = false) {
    const resync = this.config.resyncIntervalMs;
    if (this.set && resync > 0 && Date.now() - this.snapshotAt >= resync) {
      // The change feed says which entries came and went, not that a second request made an
      // active entry's action stricter: the whole snapshot, now and then, says it.
      this.log.info('taking the whole snapshot again', { everySeconds: resync / 1000 });
      this.set = null;
    }
    if (!this.set) this.source = await this.snapshot();
    const set = /** @type {EntrySet} */ (this.set);
    let wait = this.config.once || this.source || unconfirmed ? 0 : this.config.waitSeconds;
    for (;;) {
      const after = this.after;
      const etag = this.etag?.after === after ? this.etag.value : null;
      let answer;
      try {
        answer = await this.client.changes(
          { after, limit: this.config.pageSize, wait: this.waitSupported ? wait : 0, etag },
          this.signal,
        );
      } catch (error) {
        if (error instanceof HttpError && error.status === 400) {
          if (error.invalidParams.includes('wait') && this.waitSupported) {
            this.log.warn('the service does not support wait: polling instead', {
              pollIntervalSeconds: this.config.pollIntervalMs / 1000,
            });
            this.waitSupported = false;
            continue;
          }
          if (error.invalidParams.includes('after')) {
            this.log.warn('the feed was reset: starting again from a snapshot', { after });
            this.set = null;
            this.source = null;
            return false;
          }
        }
        throw error;
      }
      this.lastSyncAt = Date.now();
      if (answer.status === 304) break;
      const page = answer.body;
      this.serverVersion = page.currentVersion;
      if (answer.etag) this.etag = { after: page.after, value: answer.etag };
      for (const change of page.changes) this.apply(change);
      // The deployment names the last body served: the final page of those that changed it.
      if (page.changes.length > 0 || this.source?.format === 'changes') {
        this.source = { format: 'changes', sha256: sha256(answer.raw), version: page.next };
      }
      this.after = page.next;
      if (!page.more) break;
      wait = 0;
    }
    if (this.source) {
      const { format, sha256: hash, version } = this.source;
      // New files: reloaded and proved again whatever the versions before; a version below the
      // confirmed one (a feed reset) is confirmed again too
      const steps = {
        reloaded: -1,
        proven: -1,
        // (the same version confirmed already is the same set: not confirmed twice)
        confirmed: version < this.state.confirmed ? version - 1 : this.state.confirmed,
        receiptRefused: null,
      };
      this.state = await deploy(
        set,
        { version, after: this.after, source: { format, sha256: hash } },
        this.config,
        { ...this.state, ...steps },
        this.log,
      );
      this.source = null;
      this.log.info('deployed', {
        version,
        from: format,
        counts: set.counts(),
        zoneSha256: this.state.deployed?.hashes[this.config.rpzFile],
      });
      return true;
    }
    if (this.after !== this.state.after) {
      // Only empty pages: the entries did not change, the followed version did.
      await this.save({ after: this.after });
    }
    return false;
  }

  /**
   * The RPZ snapshot, parsed while it arrives and hashed (its uncompressed bytes).
   * @returns {Promise<{ format: 'rpz', sha256: string, version: number }>}
   */
  async snapshot() {
    const { version, body } = await this.client.snapshot(this.signal);
    const set = new EntrySet();
    const parser = new RpzParser(set);
    const hash = createHash('sha256');
    const decoder = new TextDecoder('utf-8', { fatal: true });
    for await (const chunk of body) {
      hash.update(chunk);
      parser.push(decoder.decode(chunk, { stream: true }));
    }
    parser.push(decoder.decode());
    parser.end();
    if (parser.serial !== version % 2 ** 32) {
      throw new Error(`the snapshot's SOA serial ${parser.serial} is not its version ${version}`);
    }
    set.redirectTarget ??= this.config.redirectTarget;
    this.set = set;
    this.after = version;
    this.lastSyncAt = Date.now();
    this.snapshotAt = this.lastSyncAt;
    this.serverVersion = Math.max(this.serverVersion ?? 0, version);
    this.log.info('snapshot read', { version, entries: set.size, skipped: parser.skipped });
    return { format: 'rpz', sha256: hash.digest('hex'), version };
  }

  /** @param {import('./client.js').Change} change */
  apply(change) {
    const set = /** @type {EntrySet} */ (this.set);
    if (change.op === 'remove') {
      set.remove(change.type, change.value);
      return;
    }
    let action = change.dnsAction ?? 'nxdomain';
    if (action === 'redirect' && !set.redirectTarget) {
      this.log.warn('no redirect target known (snapshot or --redirect-target): NXDOMAIN instead', {
        type: change.type,
        value: change.value,
      });
      action = 'nxdomain';
    }
    if (!set.add(change.type, change.value, action)) {
      this.log.warn('change skipped: unknown type or malformed value', {
        version: change.version,
        type: change.type,
      });
    }
  }

  /** Reload, proof and receipt for the deployed version, each step once (state-tracked). */
  async confirmDeployed() {
    const deployed = this.state.deployed;
    if (!deployed) return;
    const version = deployed.version;
    if (this.state.reloaded < version) {
      if (this.config.reloadCommand) {
        const output = await reload(this.config.reloadCommand, this.config.reloadTimeoutMs);
        this.log.info('reloaded', { version, ...(output ? { output } : {}) });
      }
      await this.save({ reloaded: version });
    }
    if (this.state.proven < version) {
      const hashes = outputPaths(this.config)
        .map((p) => `${this.outputName(p)} sha256=${deployed.hashes[p]}`)
        .join('; ');
      let checked;
      if (this.config.resolvers.length > 0) {
        let answers;
        try {
          answers = await prove(
            this.config.resolvers,
            this.config.versionName,
            version,
            this.config.proofTimeoutMs,
            this.signal,
          );
        } catch (error) {
          // The next attempt reloads again (a resolver restarted meanwhile, a reload lost).
          await this.save({ reloaded: -1 });
          throw error;
        }
        checked = answers.map((a) => `${a.server} answered ${a.answer} at ${a.at}`).join('; ');
        this.log.info('proven', { version, resolvers: answers });
      } else {
        checked = `resolver not checked (no --resolver); reloaded at ${new Date().toISOString()}`;
      }
      // The service refuses an appliedAt in its future: a clock ahead of it is set back.
      const skew = Math.min(0, this.client.skewMs + 1000);
      const appliedAt = new Date(Date.now() + skew).toISOString();
      await this.save({
        proven: version,
        provenAt: appliedAt,
        provenEvidence: `${hashes}; ${checked}`.slice(0, EVIDENCE_MAX),
      });
    }
    if (this.state.confirmed < version && this.state.receiptRefused !== version) {
      await this.sendReceipt(deployed);
    }
  }

  /** @param {import('./state.js').Deployment} deployed */
  async sendReceipt(deployed) {
    const zoneHash = deployed.hashes[this.config.rpzFile];
    // One key per proved deployment: after a crash the same body goes again under the same key
    // (the service answers the receipt it recorded); a new deployment of the same version (its
    // proof at another time) gets its own.
    const proof = sha256(String(this.state.provenAt)).slice(0, 8);
    const key = `agent-${deployed.version}-${zoneHash.slice(0, 16)}-${proof}`;
    const receipt = {
      version: deployed.version,
      format: deployed.source.format,
      appliedAt: this.state.provenAt,
      mechanism: 'rpz',
      evidence: this.state.provenEvidence,
      sha256: deployed.source.sha256,
    };
    for (let attempt = 0; ; attempt += 1) {
      try {
        // A refused receipt goes again under a new key (the service keeps each key's answer).
        const retryKey = attempt === 0 ? key : `${key}-r${attempt}`;
        const { body, replayed } = await this.client.postReceipt(receipt, retryKey, this.signal);
        const skipped = Array.isArray(body.skippedAssignments) ? body.skippedAssignments : [];
        if (skipped.length > 0) {
          // Published after appliedAt as the service read it: this host's clock may be behind.
          this.log.warn('assignments the receipt could not confirm', { skipped });
        }
        this.log.info('receipt recorded', {
          version: deployed.version,
          receiptId: body.id,
          hashCheck: body.hashCheck,
          assignmentsConfirmed: body.assignmentsConfirmed,
          replayed,
        });
        await this.save({
          confirmed: deployed.version,
          receiptId: typeof body.id === 'string' ? body.id : null,
          receiptHashCheck: typeof body.hashCheck === 'string' ? body.hashCheck : null,
        });
        return;
      } catch (error) {
        if (!(error instanceof HttpError) || error.status !== 422) throw error;
        if (attempt < RECEIPT_RETRIES) {
          // Refusals that pass: the pull not recorded yet by the instance that served it
          // ("never served"), appliedAt a moment ahead of the service's clock.
          this.log.warn('receipt refused, sending it again', {
            version: deployed.version,
            attempt: attempt + 1,
            inMs: RECEIPT_RETRY_MS,
            error: error.message,
          });
          await sleep(RECEIPT_RETRY_MS, this.signal);
          if (this.signal.aborted) throw error;
          continue;
        }
        // Refused for good: the next version sends its own.
        this.log.error('receipt refused', { version: deployed.version, error: error.message });
        this.lastError = { message: error.message, at: new Date().toISOString() };
        await this.save({ receiptRefused: deployed.version });
        return;
      }
    }
  }

  /** @param {string} path */
  outputName(path) {
    if (path === this.config.rpzFile) return 'zone';
    if (path === this.config.nftFile) return 'nft';
    return 'ip-list';
  }

  /** @param {Partial<import('./state.js').State>} changes */
  async save(changes) {
    this.state = { ...this.state, ...changes };
    await saveState(this.config.stateFile, this.state);
  }

  /** Seconds of silence after which the agent is unhealthy: three waits (or poll intervals). */
  get healthWindowSeconds() {
    const cycle = this.waitSupported ? this.config.waitSeconds : this.config.pollIntervalMs / 1000;
    return 3 * Math.max(cycle, 10);
  }

  status() {
    const now = Date.now();
    const since = this.lastSyncAt === null ? null : Math.round((now - this.lastSyncAt) / 1000);
    const after = this.set ? this.after : (this.state?.after ?? null);
    return {
      time: new Date(now).toISOString(),
      healthy: since !== null && since <= this.healthWindowSeconds,
      followedVersion: after,
      deployedVersion: this.state?.deployed?.version ?? null,
      provenVersion: this.state?.proven || null,
      confirmedVersion: this.state?.confirmed || null,
      serverVersion: this.serverVersion,
      lagVersions:
        this.serverVersion === null || after === null
          ? null
          : Math.max(0, this.serverVersion - after),
      secondsSinceLastSync: since,
      lastSyncAt: this.lastSyncAt === null ? null : new Date(this.lastSyncAt).toISOString(),
      lastError: this.lastError,
      lastSuccessAt:
        this.lastSuccessAt === null ? null : new Date(this.lastSuccessAt).toISOString(),
      receiptId: this.state?.receiptId ?? null,
      receiptHashCheck: this.state?.receiptHashCheck ?? null,
      receiptRefusedVersion: this.state?.receiptRefused ?? null,
      counts: this.set ? this.set.counts() : null,
      longPoll: this.waitSupported,
    };
  }

  async writeStatus() {
    if (!this.config.statusFile) return;
    try {
      await writeFileAtomic(this.config.statusFile, `${JSON.stringify(this.status(), null, 2)}\n`);
    } catch (error) {
      this.log.warn('status file not written', { error: errorMessage(error) });
    }
  }

  /**
   * GET /health: the status, 200 when healthy, else 503.
   * @returns {Promise<import('node:http').Server>}
   */
  serveHealth() {
    const server = createServer((req, res) => {
      if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/health') {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}\n');
        return;
      }
      const status = this.status();
      res
        .writeHead(status.healthy ? 200 : 503, { 'content-type': 'application/json' })
        .end(`${JSON.stringify(status)}\n`);
    });
    server.requestTimeout = 10_000;
    server.headersTimeout = 5_000;
    server.maxConnections = 32;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.config.healthPort ?? 0, this.config.healthHost, () => resolve(server));
    });
  }
}
