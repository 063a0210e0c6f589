import { PeopleDirectory } from '#src/identity/index.js';
import { Injectable, Optional } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { Principal } from '#src/identity/index.js';
import { AuditLog } from '#src/platform/audit-log/index.js';
import { Clock } from '#src/platform/clock/index.js';
import { sqlState } from '#src/platform/database/index.js';
import { paginate, type Page } from '#src/platform/pagination/index.js';
import {
  invalidState,
  notFound,
  serviceUnavailable,
  unprocessable,
} from '#src/platform/problem/index.js';
import {
  toInboxDetail,
  toInboxResponse,
  toOutboxResponse,
  type MailInboxDetailResponse,
  type MailInboxQuery,
  type MailInboxResponse,
  type MailOutboxQuery,
  type MailOutboxResponse,
  type RejectMailRequest,
  type ReleaseMailRequest,
} from '#src/messaging/mail/dto/mail.dto.js';
import { parseMail } from '#src/messaging/mail/mail-content.js';
import {
  MailInboxRepository,
  type InboxDetailRow,
} from '#src/messaging/mail/mail-inbox.repository.js';
import { MailIntakeTarget } from '#src/messaging/mail/mail-intake-target.js';
import { MailOutboxRepository } from '#src/messaging/mail/mail-outbox.repository.js';

/** PostgreSQL's foreign-key violation: the organization named does not exist. */
const FOREIGN_KEY_VIOLATION = '23503';

/**
 * The responders' side of e-mail: the incident mailbox's received mails (their quarantine,
 * released into an incident report or rejected) and the mail outbox (what was sent, what waits).
 * The Department's business: no tenant scope (only Department roles reach these routes).
 */
@Injectable()
export class MailReviewService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly inbox: MailInboxRepository,
    private readonly outbox: MailOutboxRepository,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly directory: PeopleDirectory,
    @Optional() private readonly target?: MailIntakeTarget,
  ) {}

  listInbox(query: MailInboxQuery): Promise<Page<MailInboxResponse>> {
    return paginate(
      query,
      (after, limit) => this.inbox.list(query.status, after, limit),
      toInboxResponse,
    );
  }

  async getInbox(id: string): Promise<MailInboxDetailResponse> {
    const row = await this.inbox.find(id);
    if (!row) throw notFound('mail');
    return toInboxDetail(row);
  }

  listOutbox(query: MailOutboxQuery): Promise<Page<MailOutboxResponse>> {
    return paginate(
      query,
      (after, limit) => this.outbox.list(query.status, after, limit),
      toOutboxResponse,
    );
  }

  /**
   * Files a quarantined mail as an incident report of `organizationId`: the stored raw message
   * is parsed again and handed to the incident intake, in the transaction that marks it
   * released (the row is locked: two releases of one mail cannot both pass).
   */
  async release(
    caller: Principal,
    id: string,
    request: ReleaseMailRequest,
  ): Promise<MailInboxDetailResponse> {
    const target = this.target;
    if (!target) {
      throw serviceUnavailable('No incident intake is configured in this service', 3600);
    }
    return this.dataSource.transaction(async (manager) => {
      const row = await this.quarantined(manager, id, 'released');
      const now = this.clock.now();
      try {
        await this.inbox.review(manager, id, {
          status: 'released',
          reviewedBy: caller.id,
          reviewedAt: now,
          organizationId: request.organizationId,
        });
      } catch (error) {
        if (sqlState(error) !== FOREIGN_KEY_VIOLATION) throw error;
        throw unprocessable('No such organization', {
          extensions: {
            'invalid-params': [{ name: 'organizationId', reason: 'no such organization' }],
          },
        });
      }
      const content = await parseMail(row.raw).catch(() => undefined);
      // Replies go to the sender only if the address is the chosen organization's: a
      // quarantined sender is unverified, and the organization's own people are told anyway.
      const owner = await this.directory.ownerOf(row.fromAddress, manager);
      const { incidentId } = await target.fromMail(manager, {
        inboxId: id,
        organizationId: request.organizationId,
        userId: null,
        fromAddress: owner?.organizationId === request.organizationId ? row.fromAddress : '',
        subject: content?.subject ?? row.subject,
        text: content?.text ?? row.body,
        attachments: content?.attachments ?? [],
        receivedAt: row.receivedAt,
      });
      await this.inbox.setIncident(manager, id, incidentId);
      await this.audit.record(manager, {
        actor: caller,
        action: 'mail.release',
        objectType: 'mail_inbox',
        objectId: id,
        summary: {
          from: 'quarantined',
          to: 'released',
          sender: row.fromAddress,
          subject: row.subject,
          organizationId: request.organizationId,
          incidentId,
        },
      });
      return toInboxDetail((await this.inbox.find(id, manager))!);
    });
  }

  /** Refuses a quarantined mail for good, with the responder's reason. */
  async reject(
    caller: Principal,
    id: string,
    request: RejectMailRequest,
  ): Promise<MailInboxDetailResponse> {
    return this.dataSource.transaction(async (manager) => {
      const row = await this.quarantined(manager, id, 'rejected');
      await this.inbox.review(manager, id, {
        status: 'rejected',
        reviewedBy: caller.id,
        reviewedAt: this.clock.now(),
        reason: `rejected: ${request.reason}`,
      });
      await this.audit.record(manager, {
        actor: caller,
        action: 'mail.reject',
        objectType: 'mail_inbox',
        objectId: id,
        summary: {
          from: 'quarantined',
          to: 'rejected',
          sender: row.fromAddress,
          subject: row.subject,
          reason: request.reason,
        },
      });
      return toInboxDetail((await this.inbox.find(id, manager))!);
    });
  }

  /** The mail, locked, if it is still quarantined (404 / 409 otherwise). */
  private async quarantined(
    manager: EntityManager,
    id: string,
    to: 'released' | 'rejected',
  ): Promise<InboxDetailRow & { raw: Buffer }> {
    const row = await this.inbox.lockForReview(manager, id);
    if (!row) throw notFound('mail');
    if (row.status !== 'quarantined') {
      throw invalidState(`The mail is ${row.status}: only a quarantined mail can be ${to}`);
    }
    return row;
  }
}
