import { jsonArray } from '#src/feeds/snapshots/formats/framing.js';
import {
  RAW_LINES,
  type SnapshotFormatDescription,
} from '#src/feeds/snapshots/formats/snapshot-format.js';
import { bundleHead, stixIndicatorSql } from '#src/feeds/snapshots/stix.js';

/** A STIX 2.1 bundle: the Department's identity, the TLP 2.0 markings, one indicator per entry. */
export const stixFormat: SnapshotFormatDescription = {
  contentType: 'application/stix+json;version=2.1',
  documented: { mediaType: 'application/stix+json;version=2.1', schema: 'object' },
  needsIdentity: true,
  copySql: (active, departmentId) => {
    if (departmentId === undefined) throw new Error('a STIX snapshot needs the identity');
    const object = stixIndicatorSql({
      stixId: 'a.stix_id',
      modified: 'a.added_at',
      revoked: 'false',
      identityId: departmentId,
    });
    return `COPY (SELECT ${object} ${active}) TO STDOUT ${RAW_LINES}`;
  },
  framing: ({ department }) => {
    if (!department) throw new Error('a STIX snapshot needs the Department identity');
    // The identity and the markings come first, then one indicator per active entry.
    return [jsonArray(bundleHead(department), ']}\n', true)];
  },
};
