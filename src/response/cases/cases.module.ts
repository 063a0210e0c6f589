import { Global, Module } from '@nestjs/common';
import { FeedModule } from '#src/feeds/index.js';
import { CaseLookupService } from '#src/response/cases/case-lookup.service.js';
import { CaseLookup } from '#src/response/incidents/case-lookup.js';
import { CaseEvents } from '#src/response/cases/case-events.js';
import { CaseTracker } from '#src/response/cases/case-tracker.js';
import { CaseTrackerService } from '#src/response/cases/case-tracker.service.js';
import { CaseScheduler } from '#src/response/cases/case.scheduler.js';
import { CasesController, PublishedListController } from '#src/response/cases/cases.controller.js';
import { CasesRepository } from '#src/response/cases/cases.repository.js';
import { CasesService } from '#src/response/cases/cases.service.js';
import { PublishedListService } from '#src/response/cases/published-list.service.js';

/**
 * Cases of botnet connections per unit, their scheduler and the published list. Global so that
 * the `CaseTracker` port (and `CaseLookup`, for incident reports) reaches whoever matches connections to units (the sightings observer,
 * connection reports) without importing this module.
 */
@Global()
@Module({
  // FeedModule: the Department's name, printed on the published list.
  imports: [FeedModule],
  controllers: [CasesController, PublishedListController],
  providers: [
    CasesRepository,
    CaseEvents,
    CasesService,
    CaseScheduler,
    PublishedListService,
    { provide: CaseTracker, useClass: CaseTrackerService },
    { provide: CaseLookup, useClass: CaseLookupService },
  ],
  exports: [CaseTracker, CaseLookup, CaseScheduler],
})
export class CasesModule {}
