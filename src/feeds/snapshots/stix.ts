import { randomUUID } from 'node:crypto';
import type { Tlp } from '#src/feeds/feed-vocabulary.js';

/**
 * STIX 2.1 for the feeds (OASIS STIX 2.1, docs/decisions/0007-stix-and-taxii.md). The indicator
 * objects are written by PostgreSQL (one SQL expression, used by the snapshot's COPY and by the
 * TAXII pages alike, so a version of an object is the same bytes wherever it is served); the
 * fixed objects (the Department's identity and the TLP 2.0 marking definitions) are built here.
 */

/** The TLP 2.0 extension (FIRST TLP 2.0 in STIX, OASIS CTI common objects). */
export const TLP2_EXTENSION = 'extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d';

/** The OASIS-published TLP 2.0 marking definitions: fixed ids everyone recognises. */
export const TLP2_MARKING_IDS: Record<Tlp, string> = {
  CLEAR: 'marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487',
  GREEN: 'marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb',
  AMBER: 'marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421',
  'AMBER+STRICT': 'marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003',
  RED: 'marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1',
};

/** The marking definition object of a TLP 2.0 level, as OASIS publishes it. */
export function tlpMarking(tlp: Tlp): Record<string, unknown> {
  return {
    type: 'marking-definition',
    spec_version: '2.1',
    id: TLP2_MARKING_IDS[tlp],
    created: '2022-10-01T00:00:00.000Z',
    name: `TLP:${tlp}`,
    extensions: {
      [TLP2_EXTENSION]: { extension_type: 'property-extension', tlp_2_0: tlp.toLowerCase() },
    },
  };
}

export interface DepartmentIdentity {
  id: string;
  name: string;
  createdAt: Date;
  updatedAt: Date;
}

/** The Department as the STIX identity every indicator is `created_by_ref`. */
export function identityObject(department: DepartmentIdentity): Record<string, unknown> {
  return {
    type: 'identity',
    spec_version: '2.1',
    id: `identity--${department.id}`,
    created: department.createdAt.toISOString(),
    modified: (department.updatedAt < department.createdAt
      ? department.createdAt
      : department.updatedAt
    ).toISOString(),
    name: department.name,
    identity_class: 'organization',
    sectors: ['government'],
  };
}

/** The objects every bundle and collection starts with: the identity, then the markings. */
export function fixedObjects(department: DepartmentIdentity): Record<string, unknown>[] {
  return [
    identityObject(department),
    ...Object.keys(TLP2_MARKING_IDS).map((t) => tlpMarking(t as Tlp)),
  ];
}

/** The opening of a streamed bundle, up to (and including) its fixed objects. */
export function bundleHead(department: DepartmentIdentity): string {
  const fixed = fixedObjects(department)
    .map((o) => JSON.stringify(o))
    .join(',');
  return `{"type":"bundle","id":"bundle--${randomUUID()}","objects":[${fixed}`;
}

/** RFC 3339 UTC with microseconds: TAXII `date_added` and STIX `modified` of feed versions. */
export function sqlTimestampUs(expression: string): string {
  return `to_char(${expression} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
}

function sqlTimestampMs(expression: string): string {
  return `to_char(${expression} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}

/** The STIX Cyber-observable type a feed indicator's pattern compares. */
const OBSERVABLE = `CASE i.type WHEN 'domain' THEN 'domain-name' WHEN 'ipv4' THEN 'ipv4-addr'
  WHEN 'ipv6' THEN 'ipv6-addr' WHEN 'url' THEN 'url'
  WHEN 'cidr' THEN CASE WHEN strpos(i.value, ':') > 0 THEN 'ipv6-addr' ELSE 'ipv4-addr' END END`;

/**
 * The SQL expression (json text) of one version of an indicator object. `i` is the
 * `indicators` row; the object's id (uuid), the version's time and whether it is a revocation
 * come from the caller's columns. The pattern's string literal escapes `\` and `'` (STIX 2.1
 * patterning, §9.3). Null properties are left out (json_strip_nulls).
 */
export function stixIndicatorSql(columns: {
  stixId: string;
  modified: string;
  revoked: string;
  identityId: string;
}): string {
  if (!/^[0-9a-f-]{36}$/i.test(columns.identityId)) {
    throw new Error(`not an identity uuid: ${columns.identityId}`);
  }
  const markings = Object.entries(TLP2_MARKING_IDS)
    .map(([tlp, id]) => `WHEN '${tlp}' THEN '${id}'`)
    .join(' ');
  return `json_strip_nulls(json_build_object(
    'type', 'indicator', 'spec_version', '2.1',
    'id', 'indicator--' || ${columns.stixId},
    'created', ${sqlTimestampMs('i.created_at')},
    'modified', ${sqlTimestampUs(columns.modified)},
    'created_by_ref', 'identity--${columns.identityId}',
    'revoked', CASE WHEN ${columns.revoked} THEN true END,
    'name', i.value,
    'description', i.description,
    'indicator_types', json_build_array('malicious-activity'),
    'pattern', '[' || ${OBSERVABLE} || ':value = '''
               || replace(replace(i.value, '\\', '\\\\'), '''', '\\''') || ''']',
    'pattern_type', 'stix', 'pattern_version', '2.1',
    'valid_from', ${sqlTimestampMs('i.valid_from')},
    'valid_until', ${sqlTimestampMs('i.valid_until')},
    'confidence', i.confidence,
    'labels', CASE WHEN cardinality(i.tags) > 0 THEN to_json(i.tags) END,
    'object_marking_refs', json_build_array(CASE i.tlp ${markings} END)))::text`;
}
