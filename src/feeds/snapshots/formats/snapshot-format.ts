import type { RpzSettings } from '#src/feeds/snapshots/rpz.js';
import type { DepartmentIdentity } from '#src/feeds/snapshots/stix.js';

/** What a format's framing may name: the snapshot's version, its ISP and when it was made. */
export interface FramingContext {
  version: number;
  organizationId: string;
  generatedAt: string;
  /** The Department's STIX identity, loaded when the format `needsIdentity`. */
  department?: DepartmentIdentity;
  rpz: RpzSettings;
}

/**
 * Everything about one snapshot format in one place: the COPY that streams its rows, the
 * media type it is served as, and what goes around and between the rows.
 */
export interface SnapshotFormatDescription {
  /** The Content-Type header of the response. */
  contentType: string;
  /** How the OpenAPI document lists the response. */
  documented: { mediaType: string; schema: 'object' | 'string' };
  /** Whether its rows name the Department's STIX identity (loaded before the COPY). */
  needsIdentity: boolean;
  /**
   * The `COPY … TO STDOUT` that streams one row per active entry; `active` is the `FROM … ORDER
   * BY` over the ISP's active rows `a` (`feed_active_sets`) joined to `indicators i`, and
   * `audiences` a SQL expression for the ISP's audience ids (an array, computed once).
   */
  copySql(active: string, departmentId?: string, audiences?: string): string;
  /** The stages between COPY's output and the body, in order. */
  framing(context: FramingContext): NodeJS.ReadWriteStream[];
}

/**
 * JSON lines come out of COPY in CSV mode with a delimiter and a quote that JSON text never
 * contains raw (row_to_json escapes every control character), so each line is the JSON as is.
 */
export const RAW_LINES = `WITH (FORMAT csv, DELIMITER E'\\x01', QUOTE E'\\x02')`;
