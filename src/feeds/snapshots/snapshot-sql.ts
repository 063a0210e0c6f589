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
  // The ISP's audiences, once (an InitPlan), then its active rows by the audience index: the
  // per-ISP view (`feed_active`) without a join per row (decision 0021).
  const audiences = `ARRAY(SELECT m.audience_id FROM feed_audience_members m
                            WHERE m.organization_id = ${literal(organizationId)})`;
  const active = `FROM feed_active_sets a JOIN indicators i ON i.id = a.indicator_id
    WHERE a.audience_id = ANY(${audiences})
      AND i.type = ANY(ARRAY[${types.map(literal).join(',')}]::text[])
    ORDER BY i.value, i.type`;
  return SNAPSHOT_FORMAT_DESCRIPTIONS[format].copySql(active, departmentId, audiences);
}
