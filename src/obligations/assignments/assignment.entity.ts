import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
  VersionColumn,
} from 'typeorm';
import { OrganizationEntity } from '#src/identity/index.js';
import { BlockingRequestEntity } from '#src/publishing/index.js';

export const ASSIGNMENT_STATUSES = [
  'pending',
  'acknowledged',
  'applied',
  'partially_applied',
  'rejected',
  /** The request was withdrawn before this ISP closed its assignment. */
  'withdrawn',
] as const;
export type AssignmentStatus = (typeof ASSIGNMENT_STATUSES)[number];

/** One per (published request, target ISP): what that ISP must do by when. */
@Entity({ name: 'assignments' })
@Check(
  'assignments_status_check',
  `"status" IN ('pending', 'acknowledged', 'applied', 'partially_applied', 'rejected', 'withdrawn')`,
)
@Index('assignments_request_org_key', ['requestId', 'organizationId'], { unique: true })
@Index('assignments_org_created_idx', ['organizationId', 'createdAt', 'id'])
@Index('assignments_open_deadline_idx', ['deadlineAt'], {
  where: `"status" IN ('pending', 'acknowledged')`,
})
export class AssignmentEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'request_id', type: 'uuid' })
  requestId!: string;

  @ManyToOne(() => BlockingRequestEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'request_id' })
  request?: BlockingRequestEntity;

  @Column({ name: 'organization_id', type: 'uuid' })
  organizationId!: string;

  @ManyToOne(() => OrganizationEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'organization_id' })
  organization?: OrganizationEntity;

  @Column({ type: 'text', default: 'pending' })
  status!: AssignmentStatus;

  @Column({ name: 'deadline_at', type: 'timestamptz' })
  deadlineAt!: Date;

  /** The first acknowledgement (or the first confirmation, when it came without one). */
  @Column({ name: 'acknowledged_at', type: 'timestamptz', nullable: true })
  acknowledgedAt!: Date | null;

  /** When a confirmation first closed it (applied, partially applied or rejected). */
  @Column({ name: 'closed_at', type: 'timestamptz', nullable: true })
  closedAt!: Date | null;

  /** The latest confirmation's applied_at (the ISP's statement of when it took effect). */
  @Column({ name: 'applied_at', type: 'timestamptz', nullable: true })
  appliedAt!: Date | null;

  /** The confirmation whose status this assignment shows (confirmations table). */
  @Column({ name: 'last_confirmation_id', type: 'uuid', nullable: true })
  lastConfirmationId!: string | null;

  /**
   * The feed version at which this publication was complete in the ISP's feed: a feed receipt
   * for version N covers the assignment when `feedVersion <= N` (decision 0008). A string: bigint.
   */
  @Column({ name: 'feed_version', type: 'bigint' })
  feedVersion!: string;

  /** Set once by the scheduler when it sent the reminder before the deadline. */
  @Column({ name: 'reminded_at', type: 'timestamptz', nullable: true })
  remindedAt!: Date | null;

  /** Set once by the scheduler when it escalated the overdue assignment. */
  @Column({ name: 'escalated_at', type: 'timestamptz', nullable: true })
  escalatedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;

  @VersionColumn({ default: 1 })
  version!: number;
}
