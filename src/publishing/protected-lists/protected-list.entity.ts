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

export const PROTECTED_LIST_ORIGINS = ['builtin', 'manual', 'misp'] as const;
export type ProtectedListOrigin = (typeof PROTECTED_LIST_ORIGINS)[number];

@Entity({ name: 'protected_lists' })
@Check('protected_lists_origin_check', `"origin" IN ('builtin', 'manual', 'misp')`)
@Index('protected_lists_name_key', ['name'], { unique: true })
export class ProtectedListEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text', nullable: true })
  description!: string | null;

  /** builtin: maintained by the application, read-only; misp: imported from a warninglist. */
  @Column({ type: 'text' })
  origin!: ProtectedListOrigin;

  /** The warninglist's own version, for MISP imports. */
  @Column({ name: 'source_version', type: 'integer', nullable: true })
  sourceVersion!: number | null;

  @Column({ type: 'boolean', default: true })
  enabled!: boolean;

  /** Bumped (from protected_lists_revision_seq) by every change to the list or its entries. */
  @Column({ type: 'bigint' })
  revision!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;

  @VersionColumn({ default: 1 })
  version!: number;
}

export const PROTECTED_ENTRY_KINDS = ['hostname', 'cidr', 'string'] as const;
export type ProtectedEntryKindColumn = (typeof PROTECTED_ENTRY_KINDS)[number];

@Entity({ name: 'protected_entries' })
@Check('protected_entries_kind_check', `"kind" IN ('hostname', 'cidr', 'string')`)
@Index('protected_entries_list_value_key', ['listId', 'kind', 'value'], { unique: true })
@Index('protected_entries_created_idx', ['listId', 'createdAt', 'id'])
export class ProtectedEntryEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'list_id', type: 'uuid' })
  listId!: string;

  @ManyToOne(() => ProtectedListEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'list_id' })
  list?: ProtectedListEntity;

  @Column({ type: 'text' })
  kind!: ProtectedEntryKindColumn;

  @Column({ type: 'text', collation: 'C' })
  value!: string;

  @Column({ type: 'text', nullable: true })
  comment!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
