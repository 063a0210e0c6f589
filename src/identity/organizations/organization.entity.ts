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
import type { OrganizationKind } from '#src/identity/auth/roles.js';

/** Incident-response contacts, as in the Department's letters. */
export interface OrganizationContacts {
  phone?: string;
  hotline?: string;
  email?: string;
}

@Entity({ name: 'organizations' })
@Check('organizations_kind_check', `"kind" IN ('department', 'isp', 'authority', 'unit')`)
@Index('organizations_short_code_key', ['shortCode'], { unique: true })
export class OrganizationEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'text' })
  kind!: OrganizationKind;

  @Column({ type: 'text' })
  name!: string;

  /** Unique short code, stored upper-case, e.g. `VNPT-TH`. */
  @Column({ name: 'short_code', type: 'text' })
  shortCode!: string;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  contacts!: OrganizationContacts;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;

  @VersionColumn()
  version!: number;
}
