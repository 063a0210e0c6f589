import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
} from 'typeorm';
import { OrganizationEntity } from '#src/identity/organizations/organization.entity.js';

/** An ISP's machine credential for the OAuth 2.0 client-credentials grant. */
@Entity({ name: 'api_clients' })
@Index('api_clients_client_id_key', ['clientId'], { unique: true })
@Index('api_clients_organization_id_idx', ['organizationId'])
export class ApiClientEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'organization_id', type: 'uuid' })
  organizationId!: string;

  @ManyToOne(() => OrganizationEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'organization_id' })
  organization?: OrganizationEntity;

  /** Public identifier sent as `client_id`. */
  @Column({ name: 'client_id', type: 'text' })
  clientId!: string;

  @Column({ type: 'text' })
  name!: string;

  /** argon2id PHC string of the secret; the secret itself is shown once. */
  @Column({ name: 'secret_hash', type: 'text' })
  secretHash!: string;

  @Column({ name: 'secret_rotated_at', type: 'timestamptz' })
  secretRotatedAt!: Date;

  /**
   * Copied into the `gen` claim of the client's access tokens; incremented by a secret rotation,
   * which ends every token issued before (a lower `gen` is refused).
   */
  @Column({ name: 'token_generation', type: 'integer', default: 0 })
  tokenGeneration!: number;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
