import { stixIndicatorSql } from '#src/feeds/snapshots/stix.js';

export const SNAPSHOT_FORMATS = ['json', 'ndjson', 'csv', 'txt', 'rpz', 'stix'] as const;
export type SnapshotFormat = (typeof SNAPSHOT_FORMATS)[number];
export const FEED_TYPES = ['domain', 'ipv4', 'ipv6', 'cidr', 'url'] as const;

/**
 * JSON lines come out of COPY in CSV mode with a delimiter and a quote that JSON text never
 * contains raw (row_to_json escapes every control character), so each line is the JSON as is.
 */
const RAW_LINES = `WITH (FORMAT csv, DELIMITER E'\\x01', QUOTE E'\\x02')`;

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
  const active = `FROM feed_active a JOIN indicators i ON i.id = a.indicator_id
    WHERE a.organization_id = ${literal(organizationId)}
      AND i.type = ANY(ARRAY[${types.map(literal).join(',')}]::text[])
    ORDER BY i.value, i.type`;
  switch (format) {
    case 'stix': {
      if (departmentId === undefined) throw new Error('a STIX snapshot needs the identity');
      const object = stixIndicatorSql({
        stixId: 'a.stix_id',
        modified: 'a.added_at',
        revoked: 'false',
        identityId: departmentId,
      });
      return `COPY (SELECT ${object} ${active}) TO STDOUT ${RAW_LINES}`;
    }
    case 'txt':
      return `COPY (SELECT i.value ${active}) TO STDOUT`;
    case 'rpz':
      // The strictest DNS action among the published requests that keep the entry active.
      return `COPY (SELECT i.type, i.value,
                     (SELECT min(CASE r.dns_action WHEN 'nxdomain' THEN 0 WHEN 'nodata' THEN 1 ELSE 2 END)
                        FROM feed_claims c JOIN blocking_requests r ON r.id = c.request_id
                       WHERE c.indicator_id = a.indicator_id AND c.organization_id = a.organization_id)
                     ${active}) TO STDOUT`;
    case 'csv':
      return `COPY (SELECT i.type, i.value, i.tlp, a.since_version AS version, i.valid_until,
                     i.id AS indicator_id ${active}) TO STDOUT WITH (FORMAT csv, HEADER)`;
    case 'json':
    case 'ndjson':
      return `COPY (SELECT json_build_object('type', i.type, 'value', i.value, 'tlp', i.tlp,
                     'version', a.since_version, 'validUntil', i.valid_until,
                     'indicatorId', i.id)::text ${active}) TO STDOUT ${RAW_LINES}`;
  }
}
