import { Module } from '@nestjs/common';
import { AssignmentsController } from '#src/obligations/assignments/assignments.controller.js';
import { AssignmentsRepository } from '#src/obligations/assignments/assignments.repository.js';
import { AssignmentsService } from '#src/obligations/assignments/assignments.service.js';
import { ConfirmationWriter } from '#src/obligations/assignments/confirmation-writer.js';
import { ReceiptsController } from '#src/obligations/assignments/receipts.controller.js';
import { ReceiptsService } from '#src/obligations/assignments/receipts.service.js';
import { BlockingRequestsModule } from '#src/publishing/blocking-requests/blocking-requests.module.js';
import { FeedModule } from '#src/feeds/pulls/feed.module.js';

/** The ISP side of assignments: acknowledgements, confirmations and feed receipts. */
@Module({
  imports: [BlockingRequestsModule, FeedModule],
  controllers: [AssignmentsController, ReceiptsController],
  providers: [AssignmentsRepository, AssignmentsService, ConfirmationWriter, ReceiptsService],
})
export class AssignmentsModule {}
