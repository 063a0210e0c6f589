import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
  VersionColumn,
} from 'typeorm';
import type { Tlp } from '#src/feeds/index.js';
import type { IndicatorType } from '#src/publishing/indicators/canonical.js';

export const INDICATOR_STATUSES = ['active', 'expired', 'revoked'] as const;
export type IndicatorStatus = (typeof INDICATOR_STATUSES)[number];

@Entity({ name: 'indicators' })
@Check(
  'indicators_type_check',
  `"type" IN ('domain', 'ipv4', 'ipv6', 'cidr', 'url', 'md5', 'sha1', 'sha256')`,
)
@Check('indicators_status_check', `"status" IN ('active', 'expired', 'revoked')`)
@Check('indicators_tlp_check', `"tlp" IN ('CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED')`)
@Check(
  'indicators_confidence_check',
  `"confidence" IS NULL OR ("confidence" >= 0 AND "confidence" <= 100)`,
)
@Check('indicators_validity_check', `"valid_until" IS NULL OR "valid_until" > "valid_from"`)
@Index('indicators_type_value_key', ['type', 'value'], { unique: true })
@Index('indicators_value_idx', ['value'])
@Index('indicators_created_idx', ['createdAt', 'id'])
@Index('indicators_expiry_idx', ['validUntil'], { where: `"status" = 'active'` })
export class IndicatorEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text' })
  type!: IndicatorType;

  /** The canonical value (see canonical.ts); byte order ("C") so that prefix search uses the index. */
  @Column({ type: 'text', collation: 'C' })
  value!: string;

  @Column({ type: 'text', default: 'active' })
  status!: IndicatorStatus;

  @Column({ type: 'text', default: 'AMBER' })
  tlp!: Tlp;

  @Column({ type: 'smallint', nullable: true })
  confidence!: number | null;

  @Column({ type: 'text', array: true, default: '{}' })
  tags!: string[];

  @Column({ type: 'text', nullable: true })
  source!: string | null;

  @Column({ type: 'text', nullable: true })
  description!: string | null;

  @Column({ name: 'valid_from', type: 'timestamptz', default: () => 'now()' })
  validFrom!: Date;

  @Column({ name: 'valid_until', type: 'timestamptz', nullable: true })
  validUntil!: Date | null;

  @Column({ name: 'first_seen_at', type: 'timestamptz', nullable: true })
  firstSeenAt!: Date | null;

  @Column({ name: 'last_seen_at', type: 'timestamptz', nullable: true })
  lastSeenAt!: Date | null;

  /** The user (or null for an API client or the system) who first created it. */
  @Column({ name: 'created_by', type: 'uuid', nullable: true })
  createdBy!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;

  @VersionColumn({ default: 1 })
  version!: number;
}
