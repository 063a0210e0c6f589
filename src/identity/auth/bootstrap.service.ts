import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditLog } from '#src/platform/audit-log/index.js';
import { generatePassword } from '#src/identity/auth/password-policy.js';
import { hashSecret } from '#src/identity/auth/passwords.js';
import { IdentityConfig } from '#src/identity/identity.config.js';
import { OrganizationEntity } from '#src/identity/organizations/organization.entity.js';
import { UserEntity } from '#src/identity/users/user.entity.js';

/** Held by the bootstrap and by seed:demo, which both create the Department. */
export const BOOTSTRAP_LOCK = 7_340_213_003;

/**
 * The plain-text notice of a generated first password, for stderr: a person at a terminal
 * reads it among the JSON log lines of stdout. Written once, when the administrator is made.
 */
export function generatedPasswordBanner(email: string, password: string): string {
  const rule = '='.repeat(72);
  return [
    '',
    rule,
    ' First administrator created',
    `   email:    ${email}`,
    `   password: ${password}`,
    ' This password is shown once, here, and is in no log.',
    ' The first login asks for a new one: until then the token only allows',
    ' POST /api/v1/auth/change-password {"currentPassword", "newPassword"} (docs/auth.md).',
    ' To choose it yourself instead, set ADMIN_PASSWORD before the first start.',
    rule,
    '',
    '',
  ].join('\n');
}

/**
 * First start on an empty database: the Department's organization and one administrator,
 * whose password is ADMIN_PASSWORD or generated and printed once (then to be changed at the
 * first login). Runs under an advisory lock
 * (two instances starting together create one), and does nothing once any administrator
 * exists (enabled or not). The Department is reused if one exists (e.g. from seed:demo).
 */
@Injectable()
export class BootstrapService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Bootstrap');

  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditLog,
    @Inject(IdentityConfig) private readonly config: IdentityConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const generated = this.config.ADMIN_PASSWORD ? undefined : generatePassword();
    const password = this.config.ADMIN_PASSWORD ?? generated ?? '';
    const created = await this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1)', [BOOTSTRAP_LOCK]);
      const admins: unknown[] = await manager.query(
        `SELECT 1 FROM users WHERE 'admin' = ANY(roles) LIMIT 1`,
      );
      if (admins.length > 0) return false;
      let department = await manager.findOne(OrganizationEntity, {
        where: { kind: 'department' },
        order: { createdAt: 'ASC' },
      });
      if (!department) {
        department = await manager.save(
          manager.create(OrganizationEntity, {
            kind: 'department',
            name: 'Department of Information and Communications',
            shortCode: 'DIC',
            contacts: {},
          }),
        );
        await this.audit.record(manager, {
          actor: 'system',
          action: 'organization.create',
          objectType: 'organization',
          objectId: department.id,
          summary: {
            kind: department.kind,
            shortCode: department.shortCode,
            name: department.name,
            bootstrap: true,
          },
        });
      }
      const admin = await manager.save(
        manager.create(UserEntity, {
          organizationId: department.id,
          email: this.config.ADMIN_EMAIL.toLowerCase(),
          name: 'Administrator',
          roles: ['admin'],
          passwordHash: await hashSecret(password),
          // A password printed on a terminal is a temporary one: the person chooses their own.
          mustChangePassword: generated !== undefined,
        }),
      );
      await this.audit.record(manager, {
        actor: 'system',
        action: 'user.create',
        objectType: 'user',
        objectId: admin.id,
        summary: {
          organizationId: admin.organizationId,
          email: admin.email,
          name: admin.name,
          roles: admin.roles,
          bootstrap: true,
          passwordChangeRequired: admin.mustChangePassword,
        },
      });
      return true;
    });
    if (!created) return;
    if (generated) {
      // The password goes to a person, not into the JSON log stream (which is shipped and kept).
      this.logger.warn(
        `Created the Department and its first administrator ${this.config.ADMIN_EMAIL} with a ` +
          'generated password, printed once on stderr (it is in no log)',
      );
      process.stderr.write(generatedPasswordBanner(this.config.ADMIN_EMAIL, generated));
    } else {
      this.logger.log(
        `Created the Department and its first administrator ${this.config.ADMIN_EMAIL}`,
      );
    }
  }
}
