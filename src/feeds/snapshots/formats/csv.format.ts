import { crlf } from '#src/feeds/snapshots/formats/framing.js';
import type { SnapshotFormatDescription } from '#src/feeds/snapshots/formats/snapshot-format.js';

/** RFC 4180 with a header line: type,value,tlp,version,valid_until,indicator_id. */
export const csvFormat: SnapshotFormatDescription = {
  contentType: 'text/csv; charset=utf-8; header=present',
  documented: { mediaType: 'text/csv', schema: 'string' },
  needsIdentity: false,
  copySql: (active) =>
    `COPY (SELECT i.type, i.value, i.tlp, a.since_version AS version, i.valid_until,
                     i.id AS indicator_id ${active}) TO STDOUT WITH (FORMAT csv, HEADER)`,
  framing: () => [crlf()],
};
