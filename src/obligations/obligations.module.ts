import { Module } from '@nestjs/common';
import { AssignmentsModule } from '#src/obligations/assignments/assignments.module.js';
import { ComplianceModule } from '#src/obligations/compliance/compliance.module.js';
import { SightingsModule } from '#src/obligations/sightings/sightings.module.js';

/**
 * The obligations context: what ISPs owe and report (assignments, confirmations, feed
 * receipts, deadlines, the compliance report, sightings). AssignmentsModule is global: it
 * provides publishing's `RequestAssignments` port.
 */
@Module({ imports: [AssignmentsModule, ComplianceModule, SightingsModule] })
export class ObligationsModule {}
