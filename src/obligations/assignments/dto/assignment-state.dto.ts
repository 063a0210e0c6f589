import { ApiProperty } from '@nestjs/swagger';
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
