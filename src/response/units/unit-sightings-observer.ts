import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Principal } from '#src/identity/index.js';
import { SightingsObserver, type RecordedSighting } from '#src/obligations/index.js';
import { CaseTracker, type MatchedConnection } from '#src/response/cases/case-tracker.js';
import { unmapped } from '#src/response/units/unit-matcher.js';
import { UnitNetworksService } from '#src/response/units/unit-networks.service.js';

/**
 * Obligations' SightingsObserver: each recorded sighting whose network lies within a unit's
 * network (the longest such) becomes a matched connection for that unit's case. Sightings
 * without a network (only a customer), or whose network is in no unit or straddles units, are
 * left alone.
 */
@Injectable()
export class UnitSightingsObserver extends SightingsObserver {
  constructor(
    private readonly networks: UnitNetworksService,
    private readonly cases: CaseTracker,
  ) {
    super();
  }

  async recorded(
    manager: EntityManager,
    reporter: Principal,
    sightings: readonly RecordedSighting[],
  ): Promise<void> {
    if (sightings.every((s) => s.network === null)) return;
    const matcher = await this.networks.matcher(manager);
    const connections: MatchedConnection[] = [];
    for (const s of sightings) {
      if (s.network === null) continue;
      const unit = matcher.matchNetwork(s.network);
      if (unit === null) continue;
      connections.push({
        unitId: unit.unitId,
        unitNetwork: unit.network,
        address: unmapped(s.network),
        c2Type: s.indicatorType,
        c2Value: s.indicatorValue,
        indicatorId: s.indicatorId,
        count: s.count,
        firstSeen: s.firstSeen,
        lastSeen: s.lastSeen,
      });
    }
    if (connections.length > 0) await this.cases.record(manager, reporter, connections);
  }
}
