import type { EntityManager } from 'typeorm';
import type { Principal } from '#src/identity/index.js';

/**
 * One internal address of a unit seen talking to a C2, as matched from a sighting or a
 * connection row: the unit whose network holds it (longest prefix), what it talked to, how often,
 * when.
 */
export interface MatchedConnection {
  unitId: string;
  /** The unit network that matched (canonical CIDR). */
  unitNetwork: string;
  /** The internal address (host) or the reported network, canonical (`198.51.100.7/32`, `2001:db8::/64`). */
  address: string;
  /** The C2 as canonical type and value; its indicator when the Department publishes it. */
  c2Type: string;
  c2Value: string;
  indicatorId: string | null;
  count: number;
  firstSeen: Date;
  lastSeen: Date;
}

/**
 * Where matched connections go: cases (one active case per unit). Called in the transaction
 * that recorded the sightings or connection rows; `reporter` is who reported them.
 */
export abstract class CaseTracker {
  abstract record(
    manager: EntityManager,
    reporter: Principal,
    connections: readonly MatchedConnection[],
  ): Promise<void>;
}
