import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
  VersionColumn,
} from 'typeorm';
import { IndicatorEntity } from '#src/publishing/indicators/indicator.entity.js';
import { OrganizationEntity } from '#src/identity/index.js';
import { RPZ_ACTIONS, type RpzAction } from '#src/feeds/index.js';

export const REQUEST_STATUSES = [
  'draft',
  'pending_approval',
  'published',
  'completed',
  'withdrawn',
] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

export const REQUEST_CATEGORIES = [
  'malware',
  'botnet',
  'phishing',
  'fraud',
  'gambling',
  'illegal_content',
  'other',
] as const;
export type RequestCategory = (typeof REQUEST_CATEGORIES)[number];

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** What a DNS resolver answers for a blocked name (the feed's RPZ actions). */
export const DNS_ACTIONS = RPZ_ACTIONS;
export type DnsAction = RpzAction;
/** What a router does with a blocked address. */
export const IP_ACTIONS = ['drop', 'null_route'] as const;
export type IpAction = (typeof IP_ACTIONS)[number];

export const ITEM_OPERATIONS = ['block', 'unblock'] as const;
export type ItemOperation = (typeof ITEM_OPERATIONS)[number];

@Entity({ name: 'blocking_requests' })
@Check(
  'blocking_requests_status_check',
  `"status" IN ('draft', 'pending_approval', 'published', 'completed', 'withdrawn')`,
)
@Check(
  'blocking_requests_category_check',
  `"category" IN ('malware', 'botnet', 'phishing', 'fraud', 'gambling', 'illegal_content', 'other')`,
)
@Check('blocking_requests_severity_check', `"severity" IN ('low', 'medium', 'high', 'critical')`)
@Check('blocking_requests_dns_action_check', `"dns_action" IN ('nxdomain', 'nodata', 'redirect')`)
@Check('blocking_requests_ip_action_check', `"ip_action" IN ('drop', 'null_route')`)
@Check(
  'blocking_requests_targets_check',
  `"targets_all" OR cardinality("target_organization_ids") > 0`,
)
@Check(
  'blocking_requests_deadline_hours_check',
  `"deadline_hours" >= 1 AND "deadline_hours" <= 720`,
)
@Check(
  'blocking_requests_two_person_check',
  `"approved_by" IS NULL OR ("approved_by" <> "submitted_by" AND "approved_by" <> "created_by")`,
)
@Index('blocking_requests_document_number_key', ['documentNumber'], { unique: true })
@Index('blocking_requests_created_idx', ['createdAt', 'id'])
@Index('blocking_requests_status_idx', ['status'])
export class BlockingRequestEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  /** The official letter's number, e.g. "123/STTTT-BCVT". Unique. */
  @Column({ name: 'document_number', type: 'text' })
  documentNumber!: string;

  @Column({ type: 'text' })
  title!: string;

  @Column({ name: 'legal_basis', type: 'text' })
  legalBasis!: string;

  @Column({ type: 'text', nullable: true })
  description!: string | null;

  @Column({ type: 'text' })
  category!: RequestCategory;

  @Column({ type: 'text' })
  severity!: Severity;

  @Column({ type: 'text', default: 'draft' })
  status!: RequestStatus;

  @Column({ name: 'targets_all', type: 'boolean' })
  targetsAll!: boolean;

  /** The ISPs addressed when not all (organization ids). */
  @Column({ name: 'target_organization_ids', type: 'uuid', array: true, default: '{}' })
  targetOrganizationIds!: string[];

  @Column({ name: 'dns_action', type: 'text', default: 'nxdomain' })
  dnsAction!: DnsAction;

  @Column({ name: 'ip_action', type: 'text', default: 'drop' })
  ipAction!: IpAction;

  /** Hours from publication to the deadline, unless deadline_at was set explicitly. */
  @Column({ name: 'deadline_hours', type: 'integer', default: 24 })
  deadlineHours!: number;

  /** Set explicitly on the draft, or at publication from deadline_hours. */
  @Column({ name: 'deadline_at', type: 'timestamptz', nullable: true })
  deadlineAt!: Date | null;

  /** The Department organization that issues it. */
  @Column({ name: 'issued_by', type: 'uuid' })
  issuedBy!: string;

  @ManyToOne(() => OrganizationEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'issued_by' })
  issuer?: OrganizationEntity;

  @Column({ name: 'created_by', type: 'uuid' })
  createdBy!: string;

  @Column({ name: 'submitted_by', type: 'uuid', nullable: true })
  submittedBy!: string | null;

  @Column({ name: 'submitted_at', type: 'timestamptz', nullable: true })
  submittedAt!: Date | null;

  /** The approver who signed it (never the submitter). */
  @Column({ name: 'approved_by', type: 'uuid', nullable: true })
  approvedBy!: string | null;

  @Column({ name: 'published_at', type: 'timestamptz', nullable: true })
  publishedAt!: Date | null;

  @Column({ name: 'withdrawn_by', type: 'uuid', nullable: true })
  withdrawnBy!: string | null;

  @Column({ name: 'withdrawn_at', type: 'timestamptz', nullable: true })
  withdrawnAt!: Date | null;

  @Column({ name: 'withdrawal_reason', type: 'text', nullable: true })
  withdrawalReason!: string | null;

  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true })
  completedAt!: Date | null;

  @Column({ name: 'item_count', type: 'integer', default: 0 })
  itemCount!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;

  @VersionColumn({ default: 1 })
  version!: number;
}

@Entity({ name: 'blocking_request_items' })
@Check('blocking_request_items_operation_check', `"operation" IN ('block', 'unblock')`)
@Index('blocking_request_items_indicator_idx', ['indicatorId'])
export class BlockingRequestItemEntity {
  @PrimaryColumn({ name: 'request_id', type: 'uuid' })
  requestId!: string;

  @PrimaryColumn({ name: 'indicator_id', type: 'uuid' })
  indicatorId!: string;

  @ManyToOne(() => BlockingRequestEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'request_id' })
  request?: BlockingRequestEntity;

  @ManyToOne(() => IndicatorEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'indicator_id' })
  indicator?: IndicatorEntity;

  @Column({ type: 'text' })
  operation!: ItemOperation;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
