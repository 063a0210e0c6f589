// @ts-check
// What the agent holds, deployed and confirmed, kept in one JSON file written atomically. A
// deployment is written in two phases (outputs.js): temporary files, then the state with
// `pending`, then the renames, then the state committed. On start, recover() finishes or
// forgets a deployment a crash interrupted and rebuilds the entry set from the agent's own zone.
import { createReadStream } from 'node:fs';
import { access, readFile, rename, rm } from 'node:fs/promises';
import { EntrySet, RpzParser } from './zone.js';
import { sha256File, syncDir, tempPath, writeFileAtomic } from './util.js';
import { dirname } from 'node:path';

/**
 * @typedef {object} Deployment
 * @property {number} version the feed version of the outputs (the zone's SOA serial)
 * @property {number} after the feed version followed when it was made
 * @property {{ format: 'rpz' | 'changes', sha256: string }} source the served body it came from
 * @property {Record<string, string>} hashes each output's SHA-256, by path
 * @property {string} at when it was written
 */

/**
 * @typedef {object} State
 * @property {1} schema
 * @property {number | null} after the feed version followed (changes are asked after it)
 * @property {Deployment | null} deployed
 * @property {Deployment | null} pending written to temporary files, maybe not renamed yet
 * @property {number} reloaded the version the reload command last succeeded for
 * @property {number} proven the version every resolver answered
 * @property {string | null} provenEvidence what they answered, and when
 * @property {string | null} provenAt
 * @property {number} confirmed the version of the last receipt the service recorded
 * @property {string | null} receiptId
 * @property {string | null} receiptHashCheck
 * @property {number | null} receiptRefused a version whose receipt the service refused (422)
 * @property {string | null} redirectTarget
 */

/** @returns {State} */
export function emptyState() {
  return {
    schema: 1,
    after: null,
    deployed: null,
    pending: null,
    // -1: even a first deployment at version 0 (nothing ever published) is reloaded and proved.
    reloaded: -1,
    proven: -1,
    provenEvidence: null,
    provenAt: null,
    confirmed: 0,
    receiptId: null,
    receiptHashCheck: null,
    receiptRefused: null,
    redirectTarget: null,
  };
}

/**
 * The state file, or an empty state when there is none.
 * @param {string} path
 * @returns {Promise<State>}
 */
export async function loadState(path) {
  let text;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (/** @type {NodeJS.ErrnoException} */ (error).code === 'ENOENT') return emptyState();
    throw error;
  }
  const parsed = /** @type {Partial<State>} */ (JSON.parse(text));
  if (parsed.schema !== 1) throw new Error(`${path}: unknown state schema ${parsed.schema}`);
  return { ...emptyState(), ...parsed };
}

/** @param {string} path @param {State} state */
export function saveState(path, state) {
  return writeFileAtomic(path, `${JSON.stringify(state, null, 2)}\n`);
}

/** @param {string} path */
const exists = (path) =>
  access(path).then(
    () => true,
    () => false,
  );

/**
 * @typedef {object} Recovery
 * @property {State} state
 * @property {EntrySet | null} set the entries of the deployed zone, or null: start from a snapshot
 * @property {boolean} rerender some output differs from what was deployed: write them again
 * @property {string} reason
 */

/**
 * After a start: a pending deployment whose temporary files all exist (they were fsynced
 * before `pending` was written) is rolled forward; then, if the zone on disk is the one the
 * state names, its entries are read back (no snapshot needed).
 * @param {State} state
 * @param {string} zoneFile
 * @param {string[]} outputs every output path, the zone first
 * @returns {Promise<Recovery>}
 */
export async function recover(state, zoneFile, outputs) {
  const next = { ...state };
  if (next.pending) {
    const pending = next.pending;
    const temps = await Promise.all(outputs.map((p) => exists(tempPath(p))));
    const renamed = await Promise.all(
      outputs.map(async (p) => (await sha256File(p)) === pending.hashes[p]),
    );
    // Every output is either still a temporary file or already renamed: finish the renames.
    if (outputs.every((_, i) => temps[i] || renamed[i])) {
      for (const [i, path] of outputs.entries()) {
        if (temps[i] && !renamed[i]) await rename(tempPath(path), path);
      }
      await syncDir(dirname(zoneFile));
      next.deployed = pending;
      next.after = pending.after;
    }
    next.pending = null;
  }
  await Promise.all(outputs.map((p) => rm(tempPath(p), { force: true })));
  if (!next.deployed)
    return { state: next, set: null, rerender: false, reason: 'nothing deployed' };
  const deployed = next.deployed;
  const zoneHash = await sha256File(zoneFile);
  if (zoneHash !== deployed.hashes[zoneFile]) {
    return {
      state: { ...next, deployed: null, after: null },
      set: null,
      rerender: false,
      reason: zoneHash === null ? 'the zone file is missing' : 'the zone file was changed',
    };
  }
  const set = new EntrySet();
  set.redirectTarget = next.redirectTarget;
  const parser = new RpzParser(set);
  const stream = createReadStream(zoneFile, { encoding: 'utf8' });
  for await (const chunk of stream) parser.push(/** @type {string} */ (chunk));
  parser.end();
  if (parser.serial !== deployed.version % 2 ** 32) {
    return {
      state: { ...next, deployed: null, after: null },
      set: null,
      rerender: false,
      reason: `the zone's serial ${parser.serial} is not version ${deployed.version}`,
    };
  }
  const hashes = await Promise.all(outputs.map((p) => sha256File(p)));
  const rerender = outputs.some((p, i) => hashes[i] !== deployed.hashes[p]);
  return { state: next, set, rerender, reason: 'the zone on disk is the deployed one' };
}
