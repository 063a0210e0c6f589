import { SNAPSHOT_FORMATS, type SnapshotFormat } from '#src/feeds/feed-vocabulary.js';
import { csvFormat } from '#src/feeds/snapshots/formats/csv.format.js';
import { jsonFormat } from '#src/feeds/snapshots/formats/json.format.js';
import { ndjsonFormat } from '#src/feeds/snapshots/formats/ndjson.format.js';
import { rpzFormat } from '#src/feeds/snapshots/formats/rpz.format.js';
import type { SnapshotFormatDescription } from '#src/feeds/snapshots/formats/snapshot-format.js';
import { stixFormat } from '#src/feeds/snapshots/formats/stix.format.js';
import { txtFormat } from '#src/feeds/snapshots/formats/txt.format.js';

/** Each snapshot format's description, by name (SNAPSHOT_FORMATS). */
export const SNAPSHOT_FORMAT_DESCRIPTIONS: Record<SnapshotFormat, SnapshotFormatDescription> = {
  json: jsonFormat,
  ndjson: ndjsonFormat,
  csv: csvFormat,
  txt: txtFormat,
  rpz: rpzFormat,
  stix: stixFormat,
};

/** The snapshot response's media types for the OpenAPI document, in SNAPSHOT_FORMATS order. */
export function snapshotResponseContent(): Record<string, { schema: { type: string } }> {
  return Object.fromEntries(
    SNAPSHOT_FORMATS.map((format) => {
      const { mediaType, schema } = SNAPSHOT_FORMAT_DESCRIPTIONS[format].documented;
      return [mediaType, { schema: { type: schema } }];
    }),
  );
}
