import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import {
  decodeCheckpointHeader,
  parseCheckpoint,
  type SignedCheckpoint,
} from '#src/audit/trail/chain.js';
import {
  UsageError,
  VerificationFailure,
  verifyExport,
  type VerifiedExport,
} from '#src/audit/offline-verifier/verify-export.js';

/**
 * `threat-exchange audit-verify` (dispatched by bin/threat-exchange.js), and the bundled verifier
 * verifier/threat-exchange-verify.mjs (standalone.ts). Loads neither Nest nor a database driver.
 * Exit codes: 0 verified, 1 the export does not verify, 2 the command was used wrongly.
 */

/** The usage of the verifier run as `program` (`threat-exchange audit-verify`, or the bundle). */
export function usage(program: string): string {
  const indent = ' '.repeat(program.length + 8);
  return `usage: ${program} <export.zip | folder> --public-key <file.pem | PEM>
${indent}[--checkpoint <X-Audit-Checkpoint value | file>]... [--json]

Verifies an audit export offline: the manifest's signature (with the Department's audit public
key, obtained on its own, never the copy inside the export), the files' SHA-256, the hash chain
from the range's first event to the signed checkpoint, every exported event against its digest,
and the CSV against the JSON lines. --checkpoint adds checkpoints held independently (the
X-Audit-Checkpoint header of feed responses, or a file holding one): the chain must pass
through them. --json prints the result as JSON on stdout.

Exit status: 0 verified; 1 the export does not verify (the reason on stderr); 2 usage error.`;
}

export const USAGE = usage('threat-exchange audit-verify');

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const processIo: Io = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

async function readArgument(value: string, what: string): Promise<string> {
  const info = await stat(value).catch(() => undefined);
  if (info === undefined) {
    throw new UsageError(`${what}: ${value} is neither a file nor a ${what} value`);
  }
  return readFile(value, 'utf8');
}

/** `--public-key`: a PEM file, or the PEM itself. */
export async function loadPublicKey(value: string): Promise<KeyObject> {
  const pem = value.includes('-----BEGIN') ? value : await readArgument(value, '--public-key');
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    throw new UsageError('--public-key: not a PEM public key');
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new UsageError(
      `--public-key: an ${String(key.asymmetricKeyType)} key, not the Ed25519 audit key`,
    );
  }
  return key;
}

/** `--checkpoint`: an X-Audit-Checkpoint value (base64url) or checkpoint JSON, or a file of one. */
export async function loadCheckpoint(value: string): Promise<SignedCheckpoint> {
  const isFile = (await stat(value).catch(() => undefined))?.isFile() ?? false;
  const text = (isFile ? await readFile(value, 'utf8') : value).trim();
  try {
    return text.startsWith('{') ? parseCheckpoint(JSON.parse(text)) : decodeCheckpointHeader(text);
  } catch {
    throw new UsageError(
      '--checkpoint: not a signed checkpoint (an X-Audit-Checkpoint value or its JSON)',
    );
  }
}

function describeFilters(filters: VerifiedExport['filters']): string {
  if (filters.all) return 'the whole trail';
  const parts = [
    filters.from ? `from ${filters.from}` : '',
    filters.to ? `before ${filters.to}` : '',
    filters.organizationId ? `organization ${filters.organizationId}` : '',
    filters.blockingRequestId ? `blocking request ${filters.blockingRequestId}` : '',
  ];
  return parts.filter(Boolean).join(', ');
}

function report(location: string, v: VerifiedExport): string {
  const { range, checkpoint } = v;
  const chain =
    v.chainEvents === 0
      ? 'no events after the selection'
      : `events ${range.firstSeq}–${range.lastSeq} (${v.chainEvents}), linked`;
  return [
    `audit export verified: ${location}`,
    `  export       ${v.id}, made ${v.createdAt}`,
    `  filters      ${describeFilters(v.filters)}`,
    `  events       ${v.events} exported with their content, each matching its digest`,
    `  chain        ${chain}`,
    `  checkpoint   ${checkpoint.size} events, head ${checkpoint.head}, signed ${checkpoint.time}`,
    ...(v.independentCheckpoints > 0
      ? [`  also through ${v.independentCheckpoints} checkpoint(s) given with --checkpoint`]
      : []),
    `  key          ${v.keyId}`,
    '',
  ].join('\n');
}

/**
 * `audit-verify …`: the exit status. `program` is how the usage names the command: the
 * bundled verifier (verifier/threat-exchange-verify.mjs) runs it on its own.
 */
export async function auditVerify(
  args: string[],
  io: Io = processIo,
  program = 'threat-exchange audit-verify',
): Promise<number> {
  const help = usage(program);
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions(args);
  } catch (error) {
    io.stderr(`${(error as Error).message}\n\n${help}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(`${help}\n`);
    return 0;
  }
  if (positionals.length !== 1 || values['public-key'] === undefined) {
    io.stderr(
      `${positionals.length !== 1 ? 'name one export (a .zip or a folder)' : '--public-key is required'}\n\n${help}\n`,
    );
    return 2;
  }
  const location = positionals[0];
  try {
    const publicKey = await loadPublicKey(values['public-key']);
    const checkpoints = await Promise.all((values.checkpoint ?? []).map(loadCheckpoint));
    const verified = await verifyExport(location, { publicKey, checkpoints });
    io.stdout(
      values.json ? `${JSON.stringify({ ok: true, ...verified })}\n` : report(location, verified),
    );
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`${error.message}\n`);
      return 2;
    }
    if (error instanceof VerificationFailure) {
      if (values.json) {
        io.stdout(`${JSON.stringify({ ok: false, check: error.check, error: error.message })}\n`);
      }
      io.stderr(`audit export NOT verified: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

/** Options that take a value, so that a value starting with `-` (a PEM) is not an option. */
const VALUED = new Set(['--public-key', '--checkpoint']);

function parseOptions(args: string[]) {
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (VALUED.has(arg) && i + 1 < args.length) joined.push(`${arg}=${args[++i]}`);
    else joined.push(arg);
  }
  return parseArgs({
    args: joined,
    allowPositionals: true,
    strict: true,
    options: {
      'public-key': { type: 'string' },
      checkpoint: { type: 'string', multiple: true },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

/** `audit-verify …` as a command line (`['audit-verify', …]`); returns the exit status. */
export async function run(argv: string[], io: Io = processIo): Promise<number> {
  const [command, ...args] = argv;
  if (command === 'audit-verify') return auditVerify(args, io);
  if (command === '--help' || command === '-h' || command === 'help') {
    io.stdout(`${USAGE}\n`);
    return 0;
  }
  io.stderr(
    `${command === undefined ? 'no command given' : `unknown command ${command}`}\n\n${USAGE}\n`,
  );
  return 2;
}
