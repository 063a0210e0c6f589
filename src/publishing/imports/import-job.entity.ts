import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';

export const IMPORT_STATUSES = ['receiving', 'merging', 'succeeded', 'failed'] as const;
export type ImportStatus = (typeof IMPORT_STATUSES)[number];

export interface RejectedRow {
  line: number;
  value: string;
  reason: string;
}

@Entity({ name: 'imports' })
@Check('imports_status_check', `"status" IN ('receiving', 'merging', 'succeeded', 'failed')`)
@Check('imports_mode_check', `"mode" IN ('reject', 'skip')`)
@Check('imports_format_check', `"format" IN ('json', 'csv', 'text')`)
@Index('imports_created_idx', ['createdAt', 'id'])
export class ImportJobEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'organization_id', type: 'uuid' })
  organizationId!: string;

  @Column({ name: 'created_by', type: 'uuid', nullable: true })
  createdBy!: string | null;

  @Column({ type: 'text' })
  format!: 'json' | 'csv' | 'text';

  @Column({ type: 'text' })
  mode!: 'reject' | 'skip';

  @Column({ type: 'text' })
  status!: ImportStatus;

  /** Content-Length of the upload, when the client sent one (for the percentage). */
  @Column({ name: 'bytes_expected', type: 'bigint', nullable: true })
  bytesExpected!: string | null;

  @Column({ name: 'bytes_read', type: 'bigint', default: 0 })
  bytesRead!: string;

  @Column({ name: 'rows_read', type: 'integer', default: 0 })
  rowsRead!: number;

  @Column({ name: 'rows_created', type: 'integer', default: 0 })
  rowsCreated!: number;

  /** Valid rows whose indicator existed already (or appeared earlier in the same input). */
  @Column({ name: 'rows_existing', type: 'integer', default: 0 })
  rowsExisting!: number;

  @Column({ name: 'rows_rejected', type: 'integer', default: 0 })
  rowsRejected!: number;

  /** The first rejected rows (at most IMPORT_REPORT_MAX_REJECTED). */
  @Column({ name: 'rejected', type: 'jsonb', default: '[]' })
  rejected!: RejectedRow[];

  /** Why a failed import failed. */
  @Column({ type: 'text', nullable: true })
  error!: string | null;

  /** Defaults applied to rows that do not say: tlp, source, tags, valid_until. */
  @Column({ type: 'jsonb', default: '{}' })
  defaults!: Record<string, unknown>;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt!: Date | null;
}
