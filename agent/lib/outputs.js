// @ts-check
// Writing the outputs (zone, nftables script, IP list) in two phases, checking the nftables
// script, and running the reload command.
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { renderIpList, renderNft, renderZone } from './zone.js';
import { commitFile, tempPath, writeTemp } from './util.js';
import { saveState } from './state.js';

/**
 * @typedef {object} Command
 * @property {number | null} code the exit code (null when killed)
 * @property {boolean} timedOut
 * @property {string} output the last 2,000 characters of stdout and stderr
 * @property {boolean} missing the program does not exist
 */

/**
 * Runs a program, killed (with its process group) after `timeoutMs`.
 * @param {string} file
 * @param {string[]} args
 * @param {number} timeoutMs
 * @param {NodeJS.ProcessEnv} [env]
 * @returns {Promise<Command>}
 */
export function run(file, args, timeoutMs, env = process.env) {
  return new Promise((resolve) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env });
    let output = '';
    /** @param {Buffer} chunk */
    const keep = (chunk) => {
      output = (output + chunk.toString('utf8')).slice(-2000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      const missing = /** @type {NodeJS.ErrnoException} */ (error).code === 'ENOENT';
      resolve({ code: null, timedOut: false, output: error.message, missing });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, timedOut, output: output.trim(), missing: false });
    });
  });
}

/**
 * Checks an nftables script without applying it (`nft -c -f`). Answers null when it passed or
 * could not be checked (no nft here, or no CAP_NET_ADMIN), else the error.
 * @param {string} path
 * @param {import('./util.js').Logger} log
 * @returns {Promise<string | null>}
 */
export async function checkNft(path, log) {
  const result = await run('nft', ['-c', '-f', path], 60_000);
  if (result.missing) {
    log.debug('nft is not installed: the nftables script is not checked');
    return null;
  }
  if (result.code === 0) return null;
  if (/Operation not permitted/i.test(result.output)) {
    log.warn('nft -c needs CAP_NET_ADMIN: the nftables script is not checked');
    return null;
  }
  return result.timedOut ? 'nft -c timed out' : result.output || `nft -c exited ${result.code}`;
}

/**
 * The outputs the configuration asks for, the zone first.
 * @param {import('./config.js').Config} config
 */
export function outputPaths(config) {
  return [config.rpzFile, config.nftFile, config.ipListFile].filter(
    /** @returns {p is string} */ (p) => p !== null,
  );
}

/**
 * Writes every output for `version` in two phases and records the deployment in the state:
 * (1) temporary files, written, fsynced (the nftables one checked); (2) the state with
 * `pending`; (3) the renames (and the directory fsynced); (4) the state committed. A crash
 * leaves the old outputs or the new ones (recover() finishes step 3), never a part of a file.
 * @param {import('./zone.js').EntrySet} set
 * @param {{ version: number, after: number, source: { format: 'rpz' | 'changes', sha256: string } }} what
 * @param {import('./config.js').Config} config
 * @param {import('./state.js').State} state
 * @param {import('./util.js').Logger} log
 * @returns {Promise<import('./state.js').State>}
 */
export async function deploy(set, what, config, state, log) {
  /** @type {Record<string, string>} */
  const hashes = {};
  try {
    hashes[config.rpzFile] = await writeTemp(
      config.rpzFile,
      renderZone(set, {
        version: what.version,
        origin: config.rpzOrigin,
        versionName: config.versionName,
        redirectTarget: set.redirectTarget,
      }),
    );
    if (config.nftFile) {
      hashes[config.nftFile] = await writeTemp(config.nftFile, renderNft(set, config.nftTable));
      const refused = await checkNft(tempPath(config.nftFile), log);
      if (refused) throw new Error(`nft -c refused the nftables script: ${refused}`);
    }
    if (config.ipListFile) {
      hashes[config.ipListFile] = await writeTemp(config.ipListFile, renderIpList(set));
    }
  } catch (error) {
    await Promise.all(outputPaths(config).map((p) => rm(tempPath(p), { force: true })));
    throw error;
  }
  const deployment = { ...what, hashes, at: new Date().toISOString() };
  const pending = { ...state, pending: deployment, redirectTarget: set.redirectTarget };
  await saveState(config.stateFile, pending);
  for (const path of outputPaths(config)) await commitFile(path);
  const committed = { ...pending, pending: null, deployed: deployment, after: what.after };
  await saveState(config.stateFile, committed);
  return committed;
}

/**
 * Runs the reload command through /bin/sh (without the client secret in its environment).
 * @param {string} command
 * @param {number} timeoutMs
 */
export async function reload(command, timeoutMs) {
  const env = { ...process.env };
  delete env.THREAT_EXCHANGE_CLIENT_SECRET;
  const result = await run('/bin/sh', ['-c', command], timeoutMs, env);
  if (result.timedOut) throw new Error(`the reload command timed out after ${timeoutMs / 1000} s`);
  if (result.code !== 0) {
    throw new Error(
      `the reload command exited ${result.code ?? 'on a signal'}${result.output ? `: ${result.output}` : ''}`,
    );
  }
  return result.output;
}
