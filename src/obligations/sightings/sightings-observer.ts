import type { EntityManager } from 'typeorm';
import type { Principal } from '#src/identity/index.js';

/** A sighting as it was just recorded: canonical network (or null when only a customer was given). */
export interface RecordedSighting {
  id: string;
  indicatorId: string;
  indicatorType: string;
  indicatorValue: string;
  network: string | null;
  count: number;
  firstSeen: Date;
  lastSeen: Date;
}

/**
 * What happens next to sightings, beyond obligations: the response context matches them to the
 * units whose networks they name and opens cases (docs/units-and-incidents.md). Obligations
 * declares this port and calls it in the transaction that records the sightings; the response
 * context provides it globally, so obligations never imports it. Unbound (a test module without
 * the response context): nothing else happens.
 */
export abstract class SightingsObserver {
  abstract recorded(
    manager: EntityManager,
    reporter: Principal,
    sightings: readonly RecordedSighting[],
  ): Promise<void>;
}
