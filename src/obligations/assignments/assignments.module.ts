import { Module } from '@nestjs/common';
import { AssignmentsController } from '#src/assignments/assignments.controller.js';
import { AssignmentsRepository } from '#src/assignments/assignments.repository.js';
import { AssignmentsService } from '#src/assignments/assignments.service.js';
import { ConfirmationWriter } from '#src/assignments/confirmation-writer.js';
import { ReceiptsController } from '#src/assignments/receipts.controller.js';
import { ReceiptsService } from '#src/assignments/receipts.service.js';
import { BlockingRequestsModule } from '#src/blocking-requests/blocking-requests.module.js';
import { FeedModule } from '#src/feed/feed.module.js';

/** The ISP side of assignments: acknowledgements, confirmations and feed receipts. */
@Module({
  imports: [BlockingRequestsModule, FeedModule],
  controllers: [AssignmentsController, ReceiptsController],
  providers: [AssignmentsRepository, AssignmentsService, ConfirmationWriter, ReceiptsService],
})
export class AssignmentsModule {}
