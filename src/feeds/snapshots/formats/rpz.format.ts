import { RPZ_ACTIONS } from '#src/feeds/feed-vocabulary.js';
import { rpzHeader, rpzRecords } from '#src/feeds/snapshots/rpz.js';
import { lines, prefix } from '#src/feeds/snapshots/formats/framing.js';
import type { SnapshotFormatDescription } from '#src/feeds/snapshots/formats/snapshot-format.js';

/**
 * A request's DNS action as its rank in RPZ_ACTIONS (strictest first), in SQL: the framing
 * reads the rank back as an index into the same list.
 */
const ACTION_RANK_SQL = `CASE r.dns_action ${RPZ_ACTIONS.slice(0, -1)
  .map((action, rank) => `WHEN '${action}' THEN ${rank}`)
  .join(' ')} ELSE ${RPZ_ACTIONS.length - 1} END`;

/** A DNS response policy zone whose SOA serial is the version. */
export const rpzFormat: SnapshotFormatDescription = {
  contentType: 'text/dns; charset=utf-8',
  documented: { mediaType: 'text/dns', schema: 'string' },
  needsIdentity: false,
  // The strictest DNS action among the published requests that keep the entry active.
  // (The claims that hold it for this ISP: those whose audience is one of the ISP's.)
  copySql: (active, _departmentId, audiences = "'{}'::int[]") =>
    `COPY (SELECT i.type, i.value,
                     (SELECT min(${ACTION_RANK_SQL})
                        FROM feed_claim_sets c JOIN blocking_requests r ON r.id = c.request_id
                       WHERE c.indicator_id = a.indicator_id AND c.audience_id = ANY(${audiences}))
                     ${active}) TO STDOUT`,
  framing: ({ version, organizationId, generatedAt, rpz }) => [
    lines((line) => {
      const [type = '', value = '', rank = '0'] = line.split('\t');
      return rpzRecords(type, value, RPZ_ACTIONS[Number(rank)] ?? RPZ_ACTIONS[0], rpz);
    }),
    prefix(
      rpzHeader(
        version,
        rpz,
        `threat-exchange feed for organization ${organizationId}, version ${version}, generated ${generatedAt}`,
      ),
    ),
  ],
};
