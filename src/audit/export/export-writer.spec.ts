import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from '@jest/globals';
import { CHAIN_FORMAT, GENESIS_HASH, signCheckpoint } from '#src/audit/trail/chain.js';
import {
  CHAIN_CSV,
  EVENT_CSV_COLUMNS,
  EVENTS_CSV,
  EVENTS_JSONL,
  EXPORT_FORMAT,
  type ExportManifest,
} from '#src/audit/export/export-format.js';
import { ExportFiles } from '#src/audit/export/export-writer.js';
import { auditKeyPair } from '#test/support/audit-exports.js';

describe('ExportFiles', () => {
  it('writes the header rows of an export that selected nothing, and removes its folder', async () => {
    const files = await ExportFiles.create({ language: 'en', bom: true });
    const listed = await files.finish();
    expect(listed.map((f) => [f.name, f.events])).toEqual([
      [EVENTS_JSONL, 0],
      [EVENTS_CSV, 0],
      [CHAIN_CSV, 0],
    ]);
    expect(await readFile(path.join(files.dir, EVENTS_JSONL), 'utf8')).toBe('');
    expect(await readFile(path.join(files.dir, EVENTS_CSV), 'utf8')).toBe(
      `\ufeff${EVENT_CSV_COLUMNS.en.join(',')}\r\n`,
    );
    expect(await readFile(path.join(files.dir, CHAIN_CSV), 'utf8')).toBe('seq,digest,hash\n');
    await files.remove();
    expect(existsSync(files.dir)).toBe(false);
  });

  it('ends the ZIP stream with an error, not a crash, when its files are gone', async () => {
    const key = auditKeyPair();
    const files = await ExportFiles.create({ language: 'vi', bom: false });
    const checkpoint = signCheckpoint(
      {
        v: CHAIN_FORMAT,
        size: 0,
        head: GENESIS_HASH.toString('hex'),
        time: '2026-11-28T12:00:00.000Z',
        keyId: key.keyId,
      },
      key.privateKey,
    );
    const manifest: ExportManifest = {
      format: EXPORT_FORMAT,
      version: 1,
      id: 'x',
      createdAt: checkpoint.time,
      exportedBy: { actorType: 'user', actorId: null, organizationId: null },
      filters: { from: null, to: null, organizationId: null, blockingRequestId: null, all: true },
      csv: { language: 'vi', bom: false },
      range: { firstSeq: 1, lastSeq: 0, previousHash: checkpoint.head },
      files: await files.finish(),
      checkpoint,
      keyId: key.keyId,
    };
    await files.remove();
    await expect(text(files.zip(manifest, 'sig', key.pem))).rejects.toThrow(/ENOENT/);
  });
});
