import { Injectable } from '@nestjs/common';
import { monotonicMs } from '#src/platform/clock/index.js';
import { notFound, validationProblem } from '#src/platform/problem/index.js';
import { OrganizationsService, type Principal } from '#src/identity/index.js';
import { MessagingConfig } from '#src/messaging/index.js';
import type {
  ResponseTeamContacts,
  UpdateResponseTeamRequest,
} from '#src/response/incidents/dto/response-team.dto.js';

/** How long an answer of the public contacts is reused, in milliseconds. */
const CACHE_MS = 10_000;

/**
 * The response team's contacts: the Department organization's (kind `department`; of several,
 * the oldest), which the Department maintains and anyone may read.
 */
@Injectable()
export class ResponseTeamService {
  private cached: { at: number; value: ResponseTeamContacts } | undefined;

  constructor(
    private readonly organizations: OrganizationsService,
    private readonly config: MessagingConfig,
  ) {}

  /** Reused for up to 10 s (a public route: anonymous callers make no query in between). */
  async contacts(): Promise<ResponseTeamContacts> {
    if (this.cached && monotonicMs() - this.cached.at < CACHE_MS) return this.cached.value;
    const department = await this.organizations.oldestOfKind('department');
    if (!department) throw notFound('response team');
    const value: ResponseTeamContacts = {
      name: department.name,
      phone: department.contacts.phone ?? null,
      hotline: department.contacts.hotline ?? null,
      email: department.contacts.email ?? null,
      ...(this.config.MAIL_INTAKE_ADDRESS
        ? { incidentMailbox: this.config.MAIL_INTAKE_ADDRESS }
        : {}),
    };
    this.cached = { at: monotonicMs(), value };
    return value;
  }

  /** Changes the given contacts (`null` removes one), audited as the organization's update. */
  async update(caller: Principal, body: UpdateResponseTeamRequest): Promise<ResponseTeamContacts> {
    if (body.phone === undefined && body.hotline === undefined && body.email === undefined) {
      throw validationProblem([
        { name: 'phone', reason: 'give at least one of phone, hotline and email' },
      ]);
    }
    const department = await this.organizations.oldestOfKind('department');
    if (!department) throw notFound('response team');
    await this.organizations.mergeContacts(caller, department.id, {
      phone: body.phone?.trim() ?? body.phone,
      hotline: body.hotline?.trim() ?? body.hotline,
      email: body.email?.trim().toLowerCase() ?? body.email,
    });
    this.cached = undefined;
    return this.contacts();
  }
}
