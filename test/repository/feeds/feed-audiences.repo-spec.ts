import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { FeedWriter } from '#src/feeds/change-log/feed-writer.js';
import { repositoryDataSource, Rows } from '#test/support/repository-db.js';
import { prng as makePrng } from '#bench/support/prng.js';

/**
 * FeedWriter's set arithmetic on audiences (decision 0021) against the per-ISP rules it
 * replaces, written here the plain way: an indicator is active for an ISP while a published
 * block item claims it for that ISP; an unblock item ends every claim on it for the ISPs it is
 * addressed to; a withdrawal ends the request's claims; expiry and revocation end all of them.
 * Random requests to random subsets of five ISPs, with overlapping indicators, are published,
 * withdrawn and retired; after every step each ISP's active set, its changes and their STIX
 * objects must be what the rules say.
 */
describe('feed audiences: the writer agrees with the per-ISP rules', () => {
  let ds: DataSource;
  let rows: Rows;
  const writer = new FeedWriter();
  let department: { id: string };
  let creator: { id: string };

  beforeAll(async () => {
    ds = await repositoryDataSource();
    rows = new Rows(ds);
    department = await rows.organization('department');
    creator = await rows.user(department.id);
  });
  afterAll(async () => {
    await ds.destroy();
  });

  /** The rules, per ISP: claims (isp → indicator → requests), activations and history. */
  class Model {
    readonly claims = new Map<string, Map<string, Set<string>>>();
    /** isp → indicator → STIX object of the current activation. */
    readonly active = new Map<string, Map<string, string>>();
    /** isp → indicators its feed ever carried. */
    readonly seen = new Map<string, Set<string>>();
    /** Expected changes of the last step: isp → sorted "op indicator". */
    step = new Map<string, string[]>();
    /** The objects the last step's removals revoke: "isp indicator" → STIX id. */
    revoked = new Map<string, string>();

    private of<V>(map: Map<string, V>, key: string, make: () => V): V {
      let value = map.get(key);
      if (value === undefined) map.set(key, (value = make()));
      return value;
    }
    private change(isp: string, op: string, indicator: string): void {
      this.of(this.step, isp, () => []).push(`${op} ${indicator}`);
    }
    begin(): void {
      this.step = new Map();
      this.revoked = new Map();
    }
    claim(isp: string, indicator: string, request: string): void {
      const claims = this.of(
        this.of(this.claims, isp, () => new Map()),
        indicator,
        () => new Set(),
      );
      claims.add(request);
      const active = this.of(this.active, isp, () => new Map());
      if (!active.has(indicator)) {
        active.set(indicator, ''); // the object is read from the database (new or own id)
        this.of(this.seen, isp, () => new Set()).add(indicator);
        this.change(isp, 'add', indicator);
      }
    }
    /** Ends claims; removes what no claim holds any more. */
    end(isp: string, indicator: string, request?: string): void {
      const claims = this.claims.get(isp)?.get(indicator);
      if (claims !== undefined) {
        if (request === undefined) claims.clear();
        else claims.delete(request);
      }
      const active = this.active.get(isp);
      if (active?.has(indicator) && (claims === undefined || claims.size === 0)) {
        this.revoked.set(`${isp} ${indicator}`, active.get(indicator)!);
        active.delete(indicator);
        this.change(isp, 'remove', indicator);
      }
    }
    activeOf(isp: string): string[] {
      return [...(this.active.get(isp)?.keys() ?? [])].sort();
    }
  }

  it('after every random publication, unblock, withdrawal and retirement', async () => {
    const prng = { next: makePrng(21) };
    const isps = [];
    for (let i = 0; i < 5; i++) isps.push((await rows.organization()).id);
    const indicators = [];
    for (let i = 0; i < 12; i++) indicators.push((await rows.indicator()).id);
    const model = new Model();
    const published: { id: string; isps: string[] }[] = [];
    const retired = new Set<string>();
    const pick = <T>(from: T[], max: number): T[] =>
      from.filter(() => prng.next() < max / from.length).slice(0, max);

    for (let stepNo = 0; stepNo < 40; stepNo++) {
      model.begin();
      const roll = prng.next();
      let result: { fromVersion: number; toVersion: number };
      let what: string;
      if (roll < 0.55 || published.length === 0) {
        // A request of a few indicators (some unblock), to a random non-empty subset of ISPs.
        let audience = pick(isps, 3);
        if (audience.length === 0) audience = [isps[Math.floor(prng.next() * isps.length)]];
        const chosen = [...new Set(pick(indicators, 5))];
        const items = chosen.map(
          (indicatorId): { indicatorId: string; operation: 'block' | 'unblock' } => ({
            indicatorId,
            operation: prng.next() < 0.2 ? 'unblock' : 'block',
          }),
        );
        const request = await rows.request(department, creator.id, { items });
        result = await ds.transaction((m) => writer.publish(m, request.id, audience));
        published.push({ id: request.id, isps: audience });
        for (const item of items) {
          if (retired.has(item.indicatorId)) continue;
          for (const isp of audience) {
            if (item.operation === 'block') model.claim(isp, item.indicatorId, request.id);
            else model.end(isp, item.indicatorId);
          }
        }
        what = `publish ${items.map((i) => i.operation).join(',')} to ${audience.length}`;
      } else if (roll < 0.9) {
        const [request] = published.splice(Math.floor(prng.next() * published.length), 1);
        result = await ds.transaction((m) => writer.withdraw(m, request.id));
        for (const isp of isps) {
          for (const indicator of indicators) model.end(isp, indicator, request.id);
        }
        what = 'withdraw';
      } else {
        const indicator = indicators[Math.floor(prng.next() * indicators.length)];
        retired.add(indicator);
        await ds.query(`UPDATE indicators SET status = 'revoked' WHERE id = $1`, [indicator]);
        result = await ds.transaction((m) => writer.retire(m, [indicator], 'revocation'));
        for (const isp of isps) model.end(isp, indicator);
        what = 'retire';
      }

      for (const isp of isps) {
        const context = `step ${stepNo} (${what}), ISP ${isps.indexOf(isp)}`;
        const active = await ds.query<{ indicator_id: string; stix_id: string }[]>(
          `SELECT a.indicator_id, a.stix_id FROM feed_active a
            WHERE a.organization_id = $1 AND a.indicator_id = ANY($2::uuid[])
            ORDER BY a.indicator_id`,
          [isp, indicators],
        );
        expect({ context, active: active.map((a) => a.indicator_id) }).toEqual({
          context,
          active: model.activeOf(isp),
        });
        const changes = await ds.query<{ op: string; indicator_id: string; stix_id: string }[]>(
          `SELECT op, indicator_id, stix_id FROM feed_changes
            WHERE organization_id = $1 AND version > $2 AND version <= $3 ORDER BY version`,
          [isp, result.fromVersion, result.toVersion],
        );
        expect({
          context,
          changes: changes.map((c) => `${c.op} ${c.indicator_id}`).sort(),
        }).toEqual({ context, changes: (model.step.get(isp) ?? []).sort() });
        // A removal revokes the object of the activation it ends; an add is the indicator's
        // own object the first time, a new one after a removal.
        for (const c of changes) {
          const known = model.active.get(isp);
          if (c.op === 'add') {
            const firstTime = !(
              await ds.query<unknown[]>(
                `SELECT 1 FROM feed_changes WHERE organization_id = $1 AND indicator_id = $2
                  AND version <= $3 LIMIT 1`,
                [isp, c.indicator_id, result.fromVersion],
              )
            ).length;
            expect({ context, own: c.stix_id === c.indicator_id }).toEqual({
              context,
              own: firstTime,
            });
            known?.set(c.indicator_id, c.stix_id);
          } else {
            expect({ context, revokes: c.stix_id }).toEqual({
              context,
              revokes: model.revoked.get(`${isp} ${c.indicator_id}`),
            });
          }
        }
        for (const a of active) {
          expect({ context, stix: a.stix_id }).toEqual({
            context,
            stix: model.active.get(isp)?.get(a.indicator_id),
          });
        }
      }
      // An ISP's changes never share a version; versions are dense for the whole feed.
      const [dense] = await ds.query<{ n: number; dup: number }[]>(
        `SELECT count(DISTINCT version)::int AS n,
                (SELECT count(*)::int FROM (SELECT organization_id, version FROM feed_changes
                                             WHERE version > $1 AND version <= $2
                                             GROUP BY 1, 2 HAVING count(*) > 1) d) AS dup
           FROM feed_log WHERE version > $1 AND version <= $2`,
        [result.fromVersion, result.toVersion],
      );
      expect(dense).toEqual({ n: result.toVersion - result.fromVersion, dup: 0 });
    }
  });
});
