import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createHash } from 'node:crypto';
import yauzl from 'yauzl';
import yazl from 'yazl';
import {
  auditKeyId,
  CHAIN_FORMAT,
  chainHash,
  eventDigest,
  GENESIS_HASH,
  signCheckpoint,
  signDocument,
  type AuditEventFields,
  type SignedCheckpoint,
} from '#src/audit/trail/chain.js';
import { ExportFiles, type ChainRow } from '#src/audit/export/export-writer.js';
import {
  EXPORT_FORMAT,
  EXPORT_VERSION,
  MANIFEST,
  MANIFEST_SIGNATURE,
  type CsvLanguage,
  type ExportManifest,
} from '#src/audit/export/export-format.js';

export interface AuditKeyPair {
  publicKey: KeyObject;
  privateKey: KeyObject;
  keyId: string;
  pem: string;
}

export function auditKeyPair(): AuditKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return {
    publicKey,
    privateKey,
    keyId: auditKeyId(publicKey),
    pem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  };
}

/** A chain of `count` made-up events, with values a spreadsheet or a parser could trip on. */
export function syntheticChain(count: number, start = Date.parse('2026-11-28T10:00:00.000Z')) {
  let hash: Buffer = GENESIS_HASH;
  const events: (AuditEventFields & { seq: number; digest: Buffer; hash: Buffer })[] = [];
  for (let seq = 1; seq <= count; seq++) {
    const system = seq % 5 === 0;
    const fields: AuditEventFields = {
      at: new Date(start + seq * 1000).toISOString(),
      actorType: system ? 'system' : 'user',
      actorId: system ? null : randomUUID(),
      organizationId: system ? null : `00000000-0000-4000-8000-00000000000${seq % 3}`,
      roles: system ? [] : seq % 2 ? ['analyst'] : ['analyst', 'approver'],
      action: seq % 2 ? 'indicator.create' : 'blocking_request.approve',
      objectType: seq % 2 ? 'indicator' : 'blocking_request',
      objectId: seq % 7 === 0 ? '=HYPERLINK("http://x")' : randomUUID(),
      summary: {
        n: seq,
        title: 'Chặn máy chủ điều khiển botnet, "khẩn"',
        note: seq % 3 ? '-1+1' : 'line one\nline two',
        nested: { ok: true, none: null, list: [1, 'a'] },
      },
      requestId: system ? null : `req-${seq}`,
      clientIp: system ? null : '203.0.113.7',
    };
    const digest = eventDigest(fields);
    hash = chainHash(hash, digest);
    events.push({ ...fields, seq, digest, hash });
  }
  return events;
}

export interface SyntheticExportOptions {
  count?: number;
  /** Which events the filter selected (default: all). */
  select?: (seq: number) => boolean;
  language?: CsvLanguage;
  bom?: boolean;
  key?: AuditKeyPair;
  /** Rows per ExportFiles.add call. */
  batch?: number;
}

export interface SyntheticExport {
  zip: string;
  dir: string;
  key: AuditKeyPair;
  manifest: ExportManifest;
  checkpoint: SignedCheckpoint;
  remove(): Promise<void>;
}

/** An export made by the real writer from a made-up chain, signed with a key of the test's. */
export async function syntheticExport(
  options: SyntheticExportOptions = {},
): Promise<SyntheticExport> {
  const count = options.count ?? 12;
  const select = options.select ?? (() => true);
  const key = options.key ?? auditKeyPair();
  const chain = syntheticChain(count);
  const head = chain.at(-1)?.hash ?? GENESIS_HASH;
  const checkpoint = signCheckpoint(
    {
      v: CHAIN_FORMAT,
      size: count,
      head: head.toString('hex'),
      time: '2026-11-28T12:00:00.000Z',
      keyId: key.keyId,
    },
    key.privateKey,
  );
  const first = chain.find((e) => select(e.seq))?.seq ?? count + 1;
  const previous = first === 1 ? GENESIS_HASH : (chain[first - 2]?.hash ?? head);
  const files = await ExportFiles.create({
    language: options.language ?? 'vi',
    bom: options.bom ?? false,
  });
  const rows: ChainRow[] = chain
    .filter((e) => e.seq >= first)
    .map(({ seq, digest, hash, ...fields }) => ({
      seq,
      digest: digest.toString('hex'),
      hash: hash.toString('hex'),
      ...(select(seq) ? { fields } : {}),
    }));
  const batch = options.batch ?? 5;
  for (let i = 0; i < rows.length; i += batch) await files.add(rows.slice(i, i + batch));
  const manifest: ExportManifest = {
    format: EXPORT_FORMAT,
    version: EXPORT_VERSION,
    id: randomUUID(),
    createdAt: '2026-11-28T12:00:00.000Z',
    exportedBy: { actorType: 'user', actorId: randomUUID(), organizationId: randomUUID() },
    filters: { from: null, to: null, organizationId: null, blockingRequestId: null, all: true },
    csv: { language: options.language ?? 'vi', bom: options.bom ?? false },
    range: { firstSeq: first, lastSeq: count, previousHash: previous.toString('hex') },
    files: await files.finish(),
    checkpoint,
    keyId: key.keyId,
  };
  const signature = signDocument(manifest as unknown as Record<string, unknown>, key.privateKey);
  const dir = await mkdtemp(path.join(tmpdir(), 'audit-export-test-'));
  const zip = path.join(dir, 'export.zip');
  await pipeline(files.zip(manifest, signature, key.pem), createWriteStream(zip));
  await files.remove();
  return {
    zip,
    dir,
    key,
    manifest,
    checkpoint,
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** Every entry of a ZIP, in order. */
export async function readZip(file: string): Promise<Map<string, Buffer>> {
  const zip = await yauzl.openPromise(file, { lazyEntries: true, autoClose: false });
  const entries = new Map<string, Buffer>();
  try {
    for await (const entry of zip.eachEntry()) {
      const chunks: Buffer[] = [];
      for await (const chunk of await zip.openReadStreamPromise(entry))
        chunks.push(chunk as Buffer);
      entries.set(entry.fileName, Buffer.concat(chunks));
    }
  } finally {
    zip.close();
  }
  return entries;
}

export async function writeZip(file: string, entries: Map<string, Buffer>): Promise<void> {
  const zip = new yazl.ZipFile();
  for (const [name, data] of entries) zip.addBuffer(data, name);
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(file));
}

/**
 * A copy of an export with its entries edited. `reseal` then recomputes the manifest's file
 * hashes and sizes and signs it again with `reseal`'s key: what an exporter holding the key
 * would produce from inconsistent files, so that the checks after the signature are reached.
 */
export async function tamperedCopy(
  source: string,
  target: string,
  edit: (entries: Map<string, Buffer>) => void,
  reseal?: AuditKeyPair,
): Promise<string> {
  const entries = await readZip(source);
  edit(entries);
  if (reseal) {
    const manifest = JSON.parse(entries.get(MANIFEST)!.toString('utf8')) as ExportManifest;
    for (const file of manifest.files) {
      const data = entries.get(file.name);
      if (data === undefined) continue;
      file.sha256 = createHash('sha256').update(data).digest('hex');
      file.bytes = data.length;
    }
    entries.set(MANIFEST, Buffer.from(JSON.stringify(manifest, null, 2)));
    entries.set(
      MANIFEST_SIGNATURE,
      Buffer.from(signDocument(manifest as unknown as Record<string, unknown>, reseal.privateKey)),
    );
  }
  await writeZip(target, entries);
  return target;
}

/** Edits a text entry. */
export function editText(
  entries: Map<string, Buffer>,
  name: string,
  change: (text: string) => string,
): void {
  const before = entries.get(name)!.toString('utf8');
  const after = change(before);
  // A tampering that changes nothing would make its test pass or fail by chance.
  if (after === before) throw new Error(`the edit of ${name} changed nothing`);
  entries.set(name, Buffer.from(after, 'utf8'));
}

/** Edits the manifest (then re-signed by tamperedCopy's `reseal`, or left with a wrong signature). */
export function editManifest(
  entries: Map<string, Buffer>,
  change: (manifest: ExportManifest) => void,
): void {
  const manifest = JSON.parse(entries.get(MANIFEST)!.toString('utf8')) as ExportManifest;
  change(manifest);
  entries.set(MANIFEST, Buffer.from(JSON.stringify(manifest, null, 2)));
}

export async function writeText(file: string, text: string): Promise<string> {
  await writeFile(file, text);
  return file;
}

export async function truncatedCopy(source: string, target: string, keep: number): Promise<string> {
  const data = await readFile(source);
  await writeFile(target, data.subarray(0, Math.floor(data.length * keep)));
  return target;
}
