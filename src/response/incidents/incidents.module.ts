import { Global, Module } from '@nestjs/common';
import { OrganizationsModule } from '#src/identity/index.js';
import { MailIntakeTarget } from '#src/messaging/index.js';
import { BlockingRequestsModule } from '#src/publishing/index.js';
import { IncidentsController } from '#src/response/incidents/incidents.controller.js';
import { IncidentsRepository } from '#src/response/incidents/incidents.repository.js';
import { IncidentsScheduler } from '#src/response/incidents/incidents.scheduler.js';
import { IncidentsService } from '#src/response/incidents/incidents.service.js';
import { ResponseTeamController } from '#src/response/incidents/response-team.controller.js';
import { ResponseTeamService } from '#src/response/incidents/response-team.service.js';

/**
 * Incident reports and the response team's contacts. Global: it provides messaging's
 * `MailIntakeTarget` (mails to the incident mailbox become reports).
 */
@Global()
@Module({
  imports: [OrganizationsModule, BlockingRequestsModule],
  controllers: [IncidentsController, ResponseTeamController],
  providers: [
    IncidentsRepository,
    IncidentsService,
    IncidentsScheduler,
    ResponseTeamService,
    { provide: MailIntakeTarget, useExisting: IncidentsService },
  ],
  exports: [MailIntakeTarget],
})
export class IncidentsModule {}
