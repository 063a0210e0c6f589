import { Global, Module } from '@nestjs/common';
import { AssignmentsController } from '#src/obligations/assignments/assignments.controller.js';
import { AssignmentsRepository } from '#src/obligations/assignments/assignments.repository.js';
import { AssignmentsService } from '#src/obligations/assignments/assignments.service.js';
import { ConfirmationWriter } from '#src/obligations/assignments/confirmation-writer.js';
import { ConfirmationsRepository } from '#src/obligations/assignments/confirmations.repository.js';
import { ReceiptsController } from '#src/obligations/assignments/receipts.controller.js';
import { ReceiptsRepository } from '#src/obligations/assignments/receipts.repository.js';
import { ReceiptsService } from '#src/obligations/assignments/receipts.service.js';
import { RequestAssignmentsService } from '#src/obligations/assignments/request-assignments.service.js';
import { BlockingRequestsModule, RequestAssignments } from '#src/publishing/index.js';
import { FeedModule } from '#src/feeds/index.js';

/**
 * The ISP side of assignments: acknowledgements, confirmations and feed receipts. Global so that
 * publishing's BlockingRequestsModule gets its RequestAssignments port without importing
 * obligations; AssignmentsRepository, the one writer of the assignments table, is exported for
 * the deadline scheduler (compliance).
 */
@Global()
@Module({
  imports: [BlockingRequestsModule, FeedModule],
  controllers: [AssignmentsController, ReceiptsController],
  providers: [
    AssignmentsRepository,
    ConfirmationsRepository,
    ReceiptsRepository,
    AssignmentsService,
    ConfirmationWriter,
    ReceiptsService,
    { provide: RequestAssignments, useClass: RequestAssignmentsService },
  ],
  exports: [RequestAssignments, AssignmentsRepository],
})
export class AssignmentsModule {}
