import { Global, Module } from '@nestjs/common';
import { OrganizationsModule } from '#src/identity/index.js';
import { SightingsObserver } from '#src/obligations/index.js';
import { ProtectedListsModule } from '#src/publishing/index.js';
import { ConnectionsController } from '#src/response/units/connections.controller.js';
import { ConnectionsService } from '#src/response/units/connections.service.js';
import { UnitNetworksService } from '#src/response/units/unit-networks.service.js';
import { UnitSightingsObserver } from '#src/response/units/unit-sightings-observer.js';
import { UnitsController } from '#src/response/units/units.controller.js';
import { UnitsRepository } from '#src/response/units/units.repository.js';
import { UnitsService } from '#src/response/units/units.service.js';

/**
 * Units and their networks, the bulk connections report, and obligations' SightingsObserver
 * (global, so that SightingsService finds it without importing the response context).
 */
@Global()
@Module({
  imports: [OrganizationsModule, ProtectedListsModule],
  controllers: [UnitsController, ConnectionsController],
  providers: [
    UnitsRepository,
    UnitsService,
    UnitNetworksService,
    ConnectionsService,
    { provide: SightingsObserver, useClass: UnitSightingsObserver },
  ],
  exports: [SightingsObserver, UnitNetworksService],
})
export class UnitsModule {}
