import { prefix } from '#src/feeds/snapshots/formats/framing.js';
import type { SnapshotFormatDescription } from '#src/feeds/snapshots/formats/snapshot-format.js';

/** One value per line after `#` comment lines. */
export const txtFormat: SnapshotFormatDescription = {
  contentType: 'text/plain; charset=utf-8',
  documented: { mediaType: 'text/plain', schema: 'string' },
  needsIdentity: false,
  copySql: (active) => `COPY (SELECT i.value ${active}) TO STDOUT`,
  framing: ({ version, organizationId, generatedAt }) => [
    prefix(
      `# threat-exchange feed snapshot for organization ${organizationId}\n` +
        `# version ${version}, generated ${generatedAt}, one value per line, sorted\n`,
    ),
  ],
};
