import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  CHAIN_FORMAT,
  chainHash,
  encodeCheckpointHeader,
  eventDigest,
  signCheckpoint,
  type SignedCheckpoint,
} from '#src/audit/trail/chain.js';
import {
  CHAIN_CSV,
  EVENT_CSV_COLUMNS,
  EVENTS_CSV,
  EVENTS_JSONL,
  MANIFEST_SIGNATURE,
} from '#src/audit/export/export-format.js';
import { run } from '#src/audit/offline-verifier/cli.js';
import {
  VerificationFailure,
  verifyExport,
  type CheckName,
} from '#src/audit/offline-verifier/verify-export.js';
import {
  auditKeyPair,
  editManifest,
  editText,
  readZip,
  syntheticExport,
  tamperedCopy,
  truncatedCopy,
  type AuditKeyPair,
  type SyntheticExport,
} from '#test/support/audit-exports.js';

/** The failure a verification ends in (or a test failure when it verifies). */
async function failure(
  zip: string,
  publicKey: AuditKeyPair['publicKey'],
  checkpoints?: SignedCheckpoint[],
): Promise<{ check: CheckName; message: string }> {
  try {
    await verifyExport(zip, { publicKey, checkpoints });
  } catch (error) {
    if (error instanceof VerificationFailure) return { check: error.check, message: error.message };
    throw error;
  }
  throw new Error(`${zip} verified`);
}

const lines = (text: string) => text.split('\n');

/** The same hex string with its first digit changed. */
const flipFirst = (hex: string) => `${hex[0] === '0' ? '1' : '0'}${hex.slice(1)}`;

describe('the offline verifier on exports made by the real writer', () => {
  let dir: string;
  let full: SyntheticExport;
  let n = 0;
  const target = () => path.join(dir, `tampered-${++n}.zip`);

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'verify-export-spec-'));
    full = await syntheticExport({ count: 12 });
  });
  afterAll(async () => {
    await full.remove();
    await rm(dir, { recursive: true, force: true });
  });

  describe('verifies', () => {
    it('a whole export, naming what it checked', async () => {
      const v = await verifyExport(full.zip, { publicKey: full.key.publicKey });
      expect(v).toEqual({
        id: full.manifest.id,
        createdAt: full.manifest.createdAt,
        filters: full.manifest.filters,
        keyId: full.key.keyId,
        events: 12,
        chainEvents: 12,
        range: { firstSeq: 1, lastSeq: 12, previousHash: '0'.repeat(64) },
        checkpoint: {
          size: 12,
          head: full.checkpoint.head,
          time: full.checkpoint.time,
        },
        independentCheckpoints: 0,
      });
    });

    it('a filtered export: events outside the filter only as digests, linked end to end', async () => {
      const filtered = await syntheticExport({ count: 20, select: (s) => s >= 4 && s % 3 === 1 });
      try {
        const v = await verifyExport(filtered.zip, { publicKey: filtered.key.publicKey });
        expect(v).toMatchObject({ events: 6, chainEvents: 17, range: { firstSeq: 4 } });
        const entries = await readZip(filtered.zip);
        const seqs = lines(entries.get(EVENTS_JSONL)!.toString().trim()).map(
          (l) => (JSON.parse(l) as { seq: number }).seq,
        );
        expect(seqs).toEqual([4, 7, 10, 13, 16, 19]);
        expect(lines(entries.get(CHAIN_CSV)!.toString())[1]).toMatch(/^4,[0-9a-f]{64},/);
      } finally {
        await filtered.remove();
      }
    });

    it('an export that selected nothing (the range is empty, the head is the checkpoint’s)', async () => {
      const none = await syntheticExport({ count: 5, select: () => false });
      try {
        const v = await verifyExport(none.zip, { publicKey: none.key.publicKey });
        expect(v).toMatchObject({ events: 0, chainEvents: 0, range: { firstSeq: 6, lastSeq: 5 } });
      } finally {
        await none.remove();
      }
    });

    it('an unzipped export (a folder), English titles with a byte order mark', async () => {
      const en = await syntheticExport({ count: 7, language: 'en', bom: true });
      try {
        const folder = path.join(en.dir, 'unzipped');
        await mkdir(folder);
        for (const [name, data] of await readZip(en.zip)) {
          await writeFile(path.join(folder, name), data);
        }
        await expect(verifyExport(folder, { publicKey: en.key.publicKey })).resolves.toMatchObject({
          events: 7,
        });
        const csv = (await readZip(en.zip)).get(EVENTS_CSV)!;
        expect(csv.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
        expect(csv.toString('utf8').slice(1).split('\r\n')[0]).toBe(EVENT_CSV_COLUMNS.en.join(','));
      } finally {
        await en.remove();
      }
    });

    it('a chain of 6,000 events written in batches', async () => {
      const big = await syntheticExport({
        count: 6000,
        batch: 1000,
        select: (s) => s % 10 === 0,
      });
      try {
        await expect(
          verifyExport(big.zip, { publicKey: big.key.publicKey }),
        ).resolves.toMatchObject({ events: 600, chainEvents: 5991 });
      } finally {
        await big.remove();
      }
    }, 60_000);

    it('through a checkpoint held independently, inside the range', async () => {
      const chainHashAt = async (seq: number) => {
        const chain = lines((await readZip(full.zip)).get(CHAIN_CSV)!.toString());
        return chain.find((l) => l.startsWith(`${seq},`))!.split(',')[2];
      };
      const held = signCheckpoint(
        {
          v: CHAIN_FORMAT,
          size: 7,
          head: await chainHashAt(7),
          time: '2026-11-28T11:00:00.000Z',
          keyId: full.key.keyId,
        },
        full.key.privateKey,
      );
      const v = await verifyExport(full.zip, {
        publicKey: full.key.publicKey,
        checkpoints: [held],
      });
      expect(v.independentCheckpoints).toBe(1);
    });
  });

  describe('refuses, with a message naming what is wrong', () => {
    const expectFailure = async (
      zip: string,
      check: CheckName,
      message: string | RegExp,
      key = full.key,
      checkpoints?: SignedCheckpoint[],
    ) => {
      const f = await failure(zip, key.publicKey, checkpoints);
      expect(f.check).toBe(check);
      if (typeof message === 'string') expect(f.message).toBe(message);
      else expect(f.message).toMatch(message);
    };

    it('a truncated archive', async () => {
      await expectFailure(
        await truncatedCopy(full.zip, target(), 0.6),
        'archive',
        /^tampered-\d+\.zip is not a readable ZIP archive \(truncated or damaged\): /,
      );
    });

    it('another key than the export’s', async () => {
      const other = auditKeyPair();
      await expectFailure(
        full.zip,
        'key',
        `the export was signed with audit key ${full.key.keyId}, but the public key given is key ${other.keyId}: verify with the Department's audit public key of that id`,
        other,
      );
    });

    const badSignature = () =>
      `the manifest signature does not verify with audit key ${full.key.keyId}: manifest.json was altered after it was signed, or manifest.sig is not its signature`;

    it('an altered manifest (its range, a file hash)', async () => {
      await expectFailure(
        await tamperedCopy(full.zip, target(), (e) =>
          editManifest(e, (m) => {
            m.range.firstSeq = 2;
          }),
        ),
        'manifest-signature',
        badSignature(),
      );
      await expectFailure(
        await tamperedCopy(full.zip, target(), (e) =>
          editManifest(e, (m) => {
            m.files[0].sha256 = 'f'.repeat(64);
          }),
        ),
        'manifest-signature',
        badSignature(),
      );
    });

    it('a replaced manifest signature (another export’s, or none at all)', async () => {
      const other = await syntheticExport({ count: 3, key: full.key });
      try {
        const otherSig = (await readZip(other.zip)).get(MANIFEST_SIGNATURE)!;
        await expectFailure(
          await tamperedCopy(full.zip, target(), (e) => e.set(MANIFEST_SIGNATURE, otherSig)),
          'manifest-signature',
          badSignature(),
        );
      } finally {
        await other.remove();
      }
      await expectFailure(
        await tamperedCopy(full.zip, target(), (e) => e.set(MANIFEST_SIGNATURE, Buffer.from('x'))),
        'manifest-signature',
        'manifest.sig is not an Ed25519 signature (86 base64url characters)',
      );
      await expectFailure(
        await tamperedCopy(full.zip, target(), (e) => e.delete(MANIFEST_SIGNATURE)),
        'manifest-signature',
        'manifest.sig is missing: the manifest is not signed',
      );
    });

    it('an older genuine checkpoint put in the manifest', async () => {
      const older = await syntheticExport({ count: 12, key: full.key });
      const swapped = (e: Map<string, Buffer>) =>
        editManifest(e, (m) => {
          m.checkpoint = older.checkpoint;
        });
      try {
        await expectFailure(
          await tamperedCopy(full.zip, target(), swapped),
          'manifest-signature',
          badSignature(),
        );
      } finally {
        await older.remove();
      }
    });

    it('an altered byte of events.jsonl, a line removed, an altered events.csv or chain.csv', async () => {
      await expectFailure(
        await tamperedCopy(full.zip, target(), (e) =>
          editText(e, EVENTS_JSONL, (t) => t.replace('"n":3', '"n":4')),
        ),
        'files',
        'events.jsonl does not match its SHA-256 in the manifest: it was altered',
      );
      const jsonl = (await readZip(full.zip)).get(EVENTS_JSONL)!;
      const withoutLine = lines(jsonl.toString());
      const removed = withoutLine.splice(4, 1)[0];
      await expectFailure(
        await tamperedCopy(full.zip, target(), (e) =>
          e.set(EVENTS_JSONL, Buffer.from(withoutLine.join('\n'))),
        ),
        'files',
        `events.jsonl has ${jsonl.length - Buffer.byteLength(removed) - 1} bytes where the manifest says ${jsonl.length}: it was altered`,
      );
      await expectFailure(
        await tamperedCopy(full.zip, target(), (e) =>
          editText(e, EVENTS_CSV, (t) => t.replace('203.0.113.7', '203.0.113.8')),
        ),
        'files',
        'events.csv does not match its SHA-256 in the manifest: it was altered',
      );
      await expectFailure(
        await tamperedCopy(full.zip, target(), (e) =>
          // The first hex digit of event 3's digest, changed (to 1 if it was 0: always a change).
          editText(e, CHAIN_CSV, (t) =>
            t.replace(/\n3,[0-9a-f]/, (m) => `${m.slice(0, -1)}${m.endsWith('0') ? '1' : '0'}`),
          ),
        ),
        'files',
        /^chain\.csv (does not match its SHA-256|has \d+ bytes where)/,
      );
    });

    it('a missing file, an unlisted one', async () => {
      await expectFailure(
        await tamperedCopy(full.zip, target(), (e) => e.delete(EVENTS_CSV)),
        'files',
        'events.csv is listed in the manifest but missing from the export',
      );
      await expectFailure(
        await tamperedCopy(full.zip, target(), (e) => e.set('notes.txt', Buffer.from('hi'))),
        'files',
        'the export holds notes.txt, which the manifest does not list',
      );
    });

    describe('behind a valid signature (the files re-hashed and the manifest signed again)', () => {
      const resealed = (edit: (e: Map<string, Buffer>) => void) =>
        tamperedCopy(full.zip, target(), edit, full.key);
      const jsonlLines = async () => lines((await readZip(full.zip)).get(EVENTS_JSONL)!.toString());
      const chainLines = async () => lines((await readZip(full.zip)).get(CHAIN_CSV)!.toString());

      it('an event whose content was changed', async () => {
        await expectFailure(
          await resealed((e) => editText(e, EVENTS_JSONL, (t) => t.replace('"n":3', '"n":4'))),
          'events',
          'events.jsonl line 3: event 3 was altered: its content does not match its digest',
        );
      });

      it('an event whose hash was changed, a line out of canonical form', async () => {
        const l = await jsonlLines();
        l[1] = l[1].replace(
          /"hash":"([0-9a-f]{64})"/,
          (_m, h: string) => `"hash":"${flipFirst(h)}"`,
        );
        await expectFailure(
          await resealed((e) => e.set(EVENTS_JSONL, Buffer.from(l.join('\n')))),
          'events',
          "events.jsonl line 2: the hash of event 2 differs from chain.csv's",
        );
        await expectFailure(
          await resealed((e) =>
            editText(e, EVENTS_JSONL, (t) => t.replace('{"action"', '{ "action"')),
          ),
          'events',
          'events.jsonl line 1 (event 1) is not in canonical form (RFC 8785)',
        );
      });

      it('events.jsonl lines swapped, or one left out', async () => {
        const l = await jsonlLines();
        [l[3], l[4]] = [l[4], l[3]];
        await expectFailure(
          await resealed((e) => e.set(EVENTS_JSONL, Buffer.from(l.join('\n')))),
          'events',
          'events.jsonl line 5: event 4 comes after event 5 (repeated or out of order)',
        );
        const m = await jsonlLines();
        m.splice(6, 1);
        await expectFailure(
          await resealed((e) => e.set(EVENTS_JSONL, Buffer.from(m.join('\n')))),
          'manifest',
          'the manifest counts 12 events in events.jsonl, which holds 11',
        );
      });

      it('chain.csv with a line removed, two swapped, a digest changed, or its tail cut', async () => {
        const removed = await chainLines();
        removed.splice(6, 1);
        await expectFailure(
          await resealed((e) => e.set(CHAIN_CSV, Buffer.from(removed.join('\n')))),
          'chain',
          'chain.csv line 7: event 6 is missing (deleted?): the sequence jumps from 5 to 7',
        );
        const swapped = await chainLines();
        [swapped[3], swapped[4]] = [swapped[4], swapped[3]];
        await expectFailure(
          await resealed((e) => e.set(CHAIN_CSV, Buffer.from(swapped.join('\n')))),
          'chain',
          'chain.csv line 4: event 3 is missing (deleted?): the sequence jumps from 2 to 4',
        );
        const cut = await chainLines();
        await expectFailure(
          await resealed((e) => e.set(CHAIN_CSV, Buffer.from(`${cut.slice(0, 10).join('\n')}\n`))),
          'checkpoint',
          `chain.csv: the chain ends at event 9 but the checkpoint signed at ${full.checkpoint.time} covers 12 events: events 10–12 are missing (truncated)`,
        );
      });

      it('a digest changed for an event outside the filter: the link breaks', async () => {
        const filtered = await syntheticExport({
          count: 10,
          select: (s) => s === 2,
          key: full.key,
        });
        try {
          const chain = lines((await readZip(filtered.zip)).get(CHAIN_CSV)!.toString());
          const [seq, digest, hash] = chain[3].split(',');
          chain[3] = `${seq},${flipFirst(digest)},${hash}`;
          await expectFailure(
            await tamperedCopy(
              filtered.zip,
              target(),
              (e) => e.set(CHAIN_CSV, Buffer.from(chain.join('\n'))),
              full.key,
            ),
            'chain',
            'chain.csv line 4: event 4 does not follow event 3: its hash is not SHA-256(hash 3 ‖ digest 4) (events swapped, reordered or relinked)',
          );
        } finally {
          await filtered.remove();
        }
      });

      it('a history rewritten consistently after the checkpoint was signed', async () => {
        // Event 11's digest and every hash from there recomputed: a chain that links, but
        // does not end in the signed head.
        const partial = await syntheticExport({ count: 12, select: (s) => s <= 10, key: full.key });
        const chain = lines((await readZip(partial.zip)).get(CHAIN_CSV)!.toString()).filter(
          Boolean,
        );
        let previous: Buffer = Buffer.from(chain[10].split(',')[2], 'hex');
        const rewritten = chain.map((line, i) => {
          if (i < 11) return line;
          const [seq] = line.split(',');
          const digest = eventDigest({
            at: '2026-11-28T10:00:11.000Z',
            actorType: 'system',
            actorId: null,
            organizationId: null,
            roles: [],
            action: `rewritten.${seq}`,
            objectType: 'x',
            objectId: null,
            summary: {},
            requestId: null,
            clientIp: null,
          });
          previous = chainHash(previous, digest);
          return `${seq},${digest.toString('hex')},${previous.toString('hex')}`;
        });
        try {
          await expectFailure(
            await tamperedCopy(
              partial.zip,
              target(),
              (e) => e.set(CHAIN_CSV, Buffer.from(`${rewritten.join('\n')}\n`)),
              full.key,
            ),
            'checkpoint',
            `chain.csv: the hash at event 12 differs from the head signed in the checkpoint of ${full.checkpoint.time}: events up to 12 were rewritten`,
          );
        } finally {
          await partial.remove();
        }
      });

      it('an older genuine checkpoint with the manifest signed again', async () => {
        const entries = await readZip(full.zip);
        const chain = lines(entries.get(CHAIN_CSV)!.toString());
        const older = signCheckpoint(
          {
            v: CHAIN_FORMAT,
            size: 9,
            head: chain[9].split(',')[2],
            time: '2026-11-28T11:00:00.000Z',
            keyId: full.key.keyId,
          },
          full.key.privateKey,
        );
        await expectFailure(
          await resealed((e) =>
            editManifest(e, (m) => {
              m.checkpoint = older;
            }),
          ),
          'manifest',
          "the manifest's range ends at event 12 but its checkpoint covers 9 events",
        );
        await expectFailure(
          await resealed((e) =>
            editManifest(e, (m) => {
              m.checkpoint = older;
              m.range.lastSeq = 9;
            }),
          ),
          'chain',
          'chain.csv line 11: event 10 lies beyond the checkpoint, which covers 9 events',
        );
        await expectFailure(
          await resealed((e) =>
            editManifest(e, (m) => {
              m.checkpoint = { ...full.checkpoint, time: '2026-11-28T12:00:00.001Z' };
            }),
          ),
          'checkpoint-signature',
          `the checkpoint in the manifest (12 events, signed at 2026-11-28T12:00:00.001Z) does not verify with audit key ${full.key.keyId}`,
        );
      });

      it('events.csv that disagrees with events.jsonl', async () => {
        await expectFailure(
          await resealed((e) =>
            editText(e, EVENTS_CSV, (t) => t.replace('203.0.113.7', '203.0.113.8')),
          ),
          'csv',
          'events.csv row 2 (event 1) differs from events.jsonl in column "Địa chỉ IP"',
        );
        await expectFailure(
          await resealed((e) => editText(e, EVENTS_CSV, (t) => `\ufeff${t}`)),
          'csv',
          'events.csv starts with a byte order mark the manifest does not announce',
        );
        await expectFailure(
          await resealed((e) => editText(e, EVENTS_CSV, (t) => t.replace('Vai trò', 'Roles'))),
          'csv',
          "events.csv's header row is not the vi column titles",
        );
        await expectFailure(
          await resealed((e) =>
            editText(e, EVENTS_CSV, (t) => t.split('\r\n').slice(0, 5).join('\r\n') + '\r\n'),
          ),
          'csv',
          'events.csv lacks event 5 (events.jsonl line 5)',
        );
      });

      it('a checkpoint held independently, signed before the export, covering more events: truncated', async () => {
        const held = (size: number, time: string) =>
          signCheckpoint(
            { v: CHAIN_FORMAT, size, head: 'cd'.repeat(32), time, keyId: full.key.keyId },
            full.key.privateKey,
          );
        await expectFailure(
          full.zip,
          'independent-checkpoint',
          '--checkpoint: the chain ends at event 12 but the checkpoint signed at 2026-11-28T11:00:00.000Z covers 15 events: events 13–15 are missing (truncated)',
          full.key,
          [held(15, '2026-11-28T11:00:00.000Z')],
        );
        // Signed after the export was made: the chain simply grew since; nothing to conclude.
        await expectFailure(
          full.zip,
          'independent-checkpoint',
          "the checkpoint given with --checkpoint (15 events, signed at 2026-11-28T13:00:00.000Z) is newer than this export's (12 events, signed at 2026-11-28T12:00:00.000Z): it cannot be checked against it; export again",
          full.key,
          [held(15, '2026-11-28T13:00:00.000Z')],
        );
        const filtered = await syntheticExport({ count: 10, select: (s) => s >= 5, key: full.key });
        try {
          await expectFailure(
            filtered.zip,
            'independent-checkpoint',
            "the checkpoint given with --checkpoint (2 events, signed at 2026-11-28T11:00:00.000Z) lies before this export's chain (events 5–10): it cannot be checked against it",
            full.key,
            [held(2, '2026-11-28T11:00:00.000Z')],
          );
        } finally {
          await filtered.remove();
        }
      });

      it('a checkpoint held independently that the chain does not pass through', async () => {
        const elsewhere = signCheckpoint(
          {
            v: CHAIN_FORMAT,
            size: 7,
            head: 'ab'.repeat(32),
            time: '2026-11-28T11:00:00.000Z',
            keyId: full.key.keyId,
          },
          full.key.privateKey,
        );
        await expectFailure(
          full.zip,
          'independent-checkpoint',
          '--checkpoint: the hash at event 7 differs from the head signed in the checkpoint of 2026-11-28T11:00:00.000Z: events up to 7 were rewritten',
          full.key,
          [elsewhere],
        );
      });
    });
  });

  describe('the command', () => {
    const io = () => {
      const out = { stdout: '', stderr: '' };
      return {
        out,
        io: {
          stdout: (t: string) => void (out.stdout += t),
          stderr: (t: string) => void (out.stderr += t),
        },
      };
    };

    it('exits 0 with a summary, 1 with one line on stderr, 2 when used wrongly', async () => {
      const pemFile = path.join(dir, 'audit-key.pem');
      await writeFile(pemFile, full.key.pem);
      const ok = io();
      expect(await run(['audit-verify', full.zip, '--public-key', pemFile], ok.io)).toBe(0);
      expect(ok.out.stdout).toContain(`audit export verified: ${full.zip}`);
      expect(ok.out.stdout).toContain('events       12 exported with their content');
      expect(ok.out.stdout).toContain(`key          ${full.key.keyId}`);

      const bad = io();
      const other = auditKeyPair();
      expect(await run(['audit-verify', full.zip, '--public-key', other.pem], bad.io)).toBe(1);
      expect(bad.out.stderr).toBe(
        `audit export NOT verified: the export was signed with audit key ${full.key.keyId}, but the public key given is key ${other.keyId}: verify with the Department's audit public key of that id\n`,
      );

      const json = io();
      const header = encodeCheckpointHeader(full.checkpoint);
      expect(
        await run(
          [
            'audit-verify',
            full.zip,
            '--public-key',
            full.key.pem,
            '--checkpoint',
            header,
            '--json',
          ],
          json.io,
        ),
      ).toBe(0);
      expect(JSON.parse(json.out.stdout)).toMatchObject({
        ok: true,
        events: 12,
        independentCheckpoints: 1,
      });

      for (const args of [
        ['audit-verify', full.zip],
        ['audit-verify', '--public-key', pemFile],
        ['audit-verify', full.zip, '--public-key', pemFile, '--bogus'],
        ['audit-verify', path.join(dir, 'nope.zip'), '--public-key', pemFile],
        ['audit-verify', full.zip, '--public-key', path.join(dir, 'nope.pem')],
        ['audit-verify', full.zip, '--public-key', pemFile, '--checkpoint', 'garbage'],
        ['verify-everything'],
        [],
      ]) {
        const usage = io();
        expect({ args, code: await run(args, usage.io) }).toEqual({ args, code: 2 });
        expect(usage.out.stderr).not.toBe('');
      }
    });
  });
});
