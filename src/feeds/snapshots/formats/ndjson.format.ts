import { jsonEntriesSql } from '#src/feeds/snapshots/formats/json.format.js';
import type { SnapshotFormatDescription } from '#src/feeds/snapshots/formats/snapshot-format.js';

/** The json format's objects, one per line, nothing around them. */
export const ndjsonFormat: SnapshotFormatDescription = {
  contentType: 'application/x-ndjson; charset=utf-8',
  documented: { mediaType: 'application/x-ndjson', schema: 'string' },
  needsIdentity: false,
  copySql: jsonEntriesSql,
  framing: () => [],
};
