import { jsonArray } from '#src/feeds/snapshots/formats/framing.js';
import {
  RAW_LINES,
  type SnapshotFormatDescription,
} from '#src/feeds/snapshots/formats/snapshot-format.js';

/** One JSON object per entry (shared by json and ndjson). */
export function jsonEntriesSql(active: string): string {
  return `COPY (SELECT json_build_object('type', i.type, 'value', i.value, 'tlp', i.tlp,
                     'version', a.since_version, 'validUntil', i.valid_until,
                     'indicatorId', i.id)::text ${active}) TO STDOUT ${RAW_LINES}`;
}

/** `{"version","generatedAt","indicators":[…]}`. */
export const jsonFormat: SnapshotFormatDescription = {
  contentType: 'application/json; charset=utf-8',
  documented: { mediaType: 'application/json', schema: 'object' },
  needsIdentity: false,
  copySql: jsonEntriesSql,
  framing: ({ version, generatedAt }) => [
    jsonArray(`{"version":${version},"generatedAt":"${generatedAt}","indicators":[`, ']}\n'),
  ],
};
