import { PassThrough } from 'node:stream';
import { RPZ_ACTIONS } from '#src/feeds/feed-vocabulary.js';
import { rpzFormat } from '#src/feeds/snapshots/formats/rpz.format.js';

const settings = {
  ttl: 300,
  nameServer: 'ns.example.',
  contact: 'hostmaster.example.',
  noticeHost: 'notice.example.',
};

/** The records the framing writes for one COPY line ranked `rank`. */
async function recordsFor(rank: number): Promise<string> {
  const [records] = rpzFormat.framing({
    version: 7,
    organizationId: 'org',
    generatedAt: '2026-01-01T00:00:00.000Z',
    rpz: settings,
  });
  const source = new PassThrough();
  let out = '';
  records.on('data', (chunk: Buffer | string) => (out += chunk.toString()));
  const done = new Promise((resolve) => records.on('end', resolve));
  source.pipe(records);
  source.end(`domain\tc2.example.com\t${rank}\n`);
  await done;
  return out;
}

describe('rpz snapshot format', () => {
  it('ranks each DNS action in SQL by its place in RPZ_ACTIONS (strictest first)', () => {
    const sql = rpzFormat.copySql('FROM x');
    expect(sql).toContain(
      `CASE r.dns_action WHEN 'nxdomain' THEN 0 WHEN 'nodata' THEN 1 ELSE 2 END`,
    );
    expect(RPZ_ACTIONS).toEqual(['nxdomain', 'nodata', 'redirect']);
  });

  it('reads a rank back as the same action', async () => {
    expect(await recordsFor(0)).toContain('c2.example.com CNAME .\n');
    expect(await recordsFor(1)).toContain('c2.example.com CNAME *.\n');
    expect(await recordsFor(2)).toContain('c2.example.com CNAME notice.example.\n');
  });
});
