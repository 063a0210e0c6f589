import { ApiProperty } from '@nestjs/swagger';
import {
  CONFIRMATION_STATUSES,
  MECHANISMS,
} from '#src/obligations/assignments/confirmation-values.js';
import {
  ASSIGNMENT_STATUSES,
  type AssignmentStatus,
} from '#src/obligations/assignments/assignment.entity.js';

/**
 * Where an assignment stands, as both the ISP (`GET /assignments`) and the Department (the
 * request's per-ISP summary) see it.
 */
export class AssignmentState {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) organizationId!: string;
  @ApiProperty({ enum: ASSIGNMENT_STATUSES }) status!: AssignmentStatus;
  @ApiProperty({ format: 'date-time' }) deadlineAt!: string;
  @ApiProperty({
    description: 'Open (pending or acknowledged) and past its deadline, computed at read time',
  })
  overdue!: boolean;
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  acknowledgedAt!: string | null;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'When it took effect, as the latest confirmation states',
  })
  appliedAt!: string | null;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'When a confirmation first closed it',
  })
  closedAt!: string | null;
}

/** An assignment as a blocking request's detail (`GET /blocking-requests/{id}`) shows it. */
export class AssignmentSummary extends AssignmentState {
  @ApiProperty({ type: Number, nullable: true, description: 'From publication to acknowledgement' })
  secondsToAcknowledge!: number | null;
  @ApiProperty({ type: Number, nullable: true, description: 'From publication to appliedAt' })
  secondsToApply!: number | null;
  @ApiProperty({ enum: CONFIRMATION_STATUSES, nullable: true })
  lastConfirmationStatus!: string | null;
  @ApiProperty({ enum: MECHANISMS, nullable: true }) lastConfirmationMechanism!: string | null;
  @ApiProperty({ type: String, nullable: true }) lastConfirmationReason!: string | null;
  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'Set when the latest confirmation came from a feed receipt',
  })
  lastConfirmationReceiptId!: string | null;
}
