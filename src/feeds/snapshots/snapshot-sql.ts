import type { SnapshotFormat } from '#src/feeds/feed-vocabulary.js';
import { SNAPSHOT_FORMAT_DESCRIPTIONS } from '#src/feeds/snapshots/formats/snapshot-formats.js';

/** PostgreSQL string literal (the values here are uuids and known type names). */
function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * The `COPY … TO STDOUT` that streams an ISP's active set in `format`: one row per active
 * indicator of `types`, in value order (byte order: the column is "C"). The snapshot service
 * frames its output; bench/feeds.ts times the same statement bare, as the physical limit.
 * `departmentId` (the STIX identity) is needed for stix only.
 */
export function snapshotCopySql(
  format: SnapshotFormat,
  organizationId: string,
  types: readonly string[],
  departmentId?: string,
): string {
  // The ISP's active rows, by each of its audiences (decision 0021). The audience ids are also
  // given to the formats once (an InitPlan), for lookups per row (rpz's claims).
  const org = literal(organizationId);
  const audiences = `ARRAY(SELECT m.audience_id FROM feed_audience_members m
                            WHERE m.organization_id = ${org})`;
  const active = `FROM feed_audience_members m
    JOIN feed_active_sets a ON a.audience_id = m.audience_id
    JOIN indicators i ON i.id = a.indicator_id
    WHERE m.organization_id = ${org}
      AND i.type = ANY(ARRAY[${types.map(literal).join(',')}]::text[])
    ORDER BY i.value, i.type`;
  return SNAPSHOT_FORMAT_DESCRIPTIONS[format].copySql(active, departmentId, audiences);
}
