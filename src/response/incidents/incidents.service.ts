import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { HttpStatus, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditLog } from '#src/platform/audit-log/index.js';
import { Clock } from '#src/platform/clock/index.js';
import { sqlState } from '#src/platform/database/index.js';
import { paginate, type Page } from '#src/platform/pagination/index.js';
import {
  badRequest,
  conflict,
  forbidden,
  httpProblem,
  type InvalidParam,
  invalidState,
  notFound,
  payloadTooLarge,
  staleVersion,
  unprocessable,
  validationProblem,
} from '#src/platform/problem/index.js';
import { actorType, PeopleDirectory, type Principal, visibleOr404 } from '#src/identity/index.js';
import {
  MailIntakeTarget,
  MailOutbox,
  MessagingConfig,
  OutboxService,
  type IntakeMail,
} from '#src/messaging/index.js';
import {
  BlockingRequestsService,
  canonicalizeUntyped,
  refusalReason,
  type IndicatorType,
} from '#src/publishing/index.js';
import { ResponseConfig } from '#src/response/response.config.js';
import { CaseLookup } from '#src/response/incidents/case-lookup.js';
import {
  attachmentType,
  contentMismatch,
  safeFilename,
  servedType,
  attachmentDisposition,
  ATTACHMENT_TYPES,
  type AttachmentType,
} from '#src/response/incidents/attachment-content.js';
import { notice, type NoticeKind } from '#src/response/incidents/incident-notices.js';
import { indicatorsInText, severityFromSubject } from '#src/response/incidents/mail-report.js';
import {
  MAX_ATTACHMENTS,
  MAX_DESCRIPTION,
  MAX_TITLE,
  type AssignIncidentRequest,
  type AttachmentResponse,
  type CreateIncidentRequest,
  type DraftRequestFromIncident,
  type IncidentCategory,
  type IncidentDetail,
  type IncidentEventKind,
  type IncidentListQuery,
  type IncidentMessageRequest,
  type IncidentResponse,
  type IncidentSeverity,
  type IncidentStatus,
  type LinkCaseRequest,
  type ResolveIncidentRequest,
  type VersionedIncidentAction,
} from '#src/response/incidents/dto/incident.dto.js';
import {
  IncidentsRepository,
  type AttachmentRow,
  type EventActorType,
  type IncidentChanges,
  type IncidentRow,
  type ReporterType,
} from '#src/response/incidents/incidents.repository.js';

const HOUR_MS = 3_600_000;
/** Events shown with a report, at most (the oldest). */
const MAX_EVENTS_SHOWN = 1000;
/** Department organizations an event is addressed to, at most. */
const MAX_DEPARTMENTS = 50;
const OPEN: IncidentStatus[] = ['new', 'triaged', 'awaiting_information'];
const NETWORK_TYPES: ReadonlySet<string> = new Set(['domain', 'ipv4', 'ipv6', 'cidr', 'url']);

/** Who files a report: a caller of the API, or a sender of the incident mailbox. */
interface Reporter {
  organizationId: string;
  type: ReporterType;
  id: string | null;
  email: string | null;
  source: 'api' | 'email';
  audit: Principal | 'system';
}

interface Filing {
  category: IncidentCategory;
  severity: IncidentSeverity;
  title: string;
  affectedSystems: string | null;
  description: string;
  indicators: { type: string; value: string }[];
  occurredAt: Date | null;
}

/** What one triage action does, decided under the row lock. */
interface Outcome {
  changes: IncidentChanges;
  event: { kind: IncidentEventKind; body: string | null };
  summary: Record<string, unknown>;
  /** Whom to mail, and what. */
  mail: { to: 'reporter' | 'responders'; kind: NoticeKind; message?: string }[];
  /** Outbox recipients beyond the reporting organization: the Department's. */
  toDepartment?: boolean;
}

/** Reports of ISPs and units are their own; the Department and authorities see every report. */
export function incidentScope(caller: Principal): { organizationId?: string } {
  return caller.organizationKind === 'isp' || caller.organizationKind === 'unit'
    ? { organizationId: caller.organizationId }
    : {};
}

function isResponder(caller: Principal): boolean {
  return caller.organizationKind === 'department' && caller.roles.includes('responder');
}

/** Whether the caller may see a report's internal events (the Department's and authorities' people). */
function seesInternal(caller: Principal): boolean {
  return incidentScope(caller).organizationId === undefined;
}

function toResponse(r: IncidentRow, now: Date): IncidentResponse {
  return {
    id: r.id,
    reference: r.reference,
    reporterOrganizationId: r.reporterOrganizationId,
    reporterType: r.reporterType,
    reporterId: r.reporterId,
    reporterEmail: r.reporterEmail,
    source: r.source,
    category: r.category,
    severity: r.severity,
    title: r.title,
    affectedSystems: r.affectedSystems,
    description: r.description,
    indicators: r.indicators,
    occurredAt: r.occurredAt?.toISOString() ?? null,
    status: r.status,
    assigneeId: r.assigneeId,
    caseId: r.caseId,
    requestId: r.requestId,
    dueAt: r.dueAt.toISOString(),
    overdue: OPEN.includes(r.status) && r.dueAt.getTime() <= now.getTime(),
    resolution: r.resolution,
    resolvedAt: r.resolvedAt?.toISOString() ?? null,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
    version: r.version,
  };
}

function toAttachmentResponse(a: AttachmentRow): AttachmentResponse {
  return {
    id: a.id,
    filename: a.filename,
    contentType: a.contentType,
    sizeBytes: a.sizeBytes,
    sha256: a.sha256,
    uploadedByType: a.uploadedByType,
    uploadedById: a.uploadedById,
    createdAt: a.createdAt.toISOString(),
  };
}

/** A blocking request's category for an incident's (those it has; `other` for the rest). */
function requestCategory(category: IncidentCategory): 'malware' | 'botnet' | 'phishing' | 'other' {
  return category === 'malware' || category === 'botnet' || category === 'phishing'
    ? category
    : 'other';
}

/** Text cut to `max` characters with a note saying so. */
function bounded(text: string, max: number, note: string): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max - note.length - 2)}\n\n${note}`;
}

/**
 * Incident reports to the provincial response team (docs/units-and-incidents.md): filing (API
 * and mail), the conversation, triage, attachments. Every change locks the report, checks the
 * caller's version, and commits its event row, audit event, outbox message and mails in one
 * transaction.
 *
 * The SLA is measured to resolution: `due_at` = filed + INCIDENT_SLA_<SEVERITY>_HOURS, and a
 * report is overdue while it is neither resolved nor closed after `due_at`.
 */
@Injectable()
export class IncidentsService extends MailIntakeTarget {
  constructor(
    private readonly dataSource: DataSource,
    private readonly incidents: IncidentsRepository,
    private readonly audit: AuditLog,
    private readonly outbox: OutboxService,
    private readonly mail: MailOutbox,
    private readonly people: PeopleDirectory,
    private readonly requests: BlockingRequestsService,
    private readonly clock: Clock,
    private readonly config: ResponseConfig,
    private readonly messaging: MessagingConfig,
    private readonly cases: CaseLookup,
  ) {
    super();
  }

  /** Hours to resolve a report of `severity`. */
  slaHours(severity: IncidentSeverity): number {
    const c = this.config;
    return {
      critical: c.INCIDENT_SLA_CRITICAL_HOURS,
      high: c.INCIDENT_SLA_HIGH_HOURS,
      medium: c.INCIDENT_SLA_MEDIUM_HOURS,
      low: c.INCIDENT_SLA_LOW_HOURS,
    }[severity];
  }

  async create(caller: Principal, body: CreateIncidentRequest): Promise<IncidentDetail> {
    const problems: InvalidParam[] = [];
    const indicators = new Map<string, { type: string; value: string }>();
    (body.indicators ?? []).forEach((raw, i) => {
      const canonical = canonicalizeUntyped(raw);
      if (canonical.ok) {
        indicators.set(`${canonical.type} ${canonical.value}`, {
          type: canonical.type,
          value: canonical.value,
        });
      } else if (problems.length < 100) {
        problems.push({ name: `indicators[${i}]`, reason: refusalReason(canonical) });
      }
    });
    if (body.title.trim() === '') problems.push({ name: 'title', reason: 'title is blank' });
    if (body.description.trim() === '') {
      problems.push({ name: 'description', reason: 'description is blank' });
    }
    if (body.occurredAt && body.occurredAt.getTime() > this.clock.now().getTime()) {
      problems.push({ name: 'occurredAt', reason: 'occurredAt is in the future' });
    }
    if (problems.length > 0) throw validationProblem(problems);
    const reporter: Reporter = {
      organizationId: caller.organizationId,
      type: actorType(caller),
      id: caller.id,
      email: null,
      source: 'api',
      audit: caller,
    };
    const id = await this.dataSource.transaction(async (manager) => {
      const row = await this.file(manager, reporter, {
        category: body.category,
        severity: body.severity,
        title: body.title.trim(),
        affectedSystems: body.affectedSystems?.trim() || null,
        description: body.description,
        indicators: [...indicators.values()],
        occurredAt: body.occurredAt ?? null,
      });
      return row.id;
    });
    return this.get(caller, id);
  }

  /**
   * A mail to the incident mailbox, filed as a report in messaging's transaction: category
   * `other`, severity from the subject's tag (severityFromSubject), the network indicators
   * named in the text (refanged; the mailbox's and the sender's domains left out), the
   * attachments that pass the same checks as uploaded ones (the others named in a note).
   */
  async fromMail(manager: EntityManager, mail: IntakeMail): Promise<{ incidentId: string }> {
    const now = this.clock.now();
    const senderDomain = mail.fromAddress.split('@').pop() ?? '';
    const mailboxDomain = this.messaging.MAIL_INTAKE_ADDRESS?.split('@').pop() ?? '';
    const text = mail.text.replaceAll('\u0000', '').trim() || '(no text)';
    const title = [...mail.subject.replace(/[\p{Cc}]+/gu, ' ').trim()].slice(0, MAX_TITLE).join('');
    const row = await this.file(
      manager,
      {
        organizationId: mail.organizationId,
        type: 'email',
        id: mail.userId,
        email: mail.fromAddress.trim().toLowerCase().slice(0, 254) || null,
        source: 'email',
        audit: 'system',
      },
      {
        category: 'other',
        severity: severityFromSubject(mail.subject),
        title: title || '(no subject)',
        affectedSystems: null,
        description: bounded(
          text,
          MAX_DESCRIPTION,
          '[Cắt bớt: thư dài hơn giới hạn / Cut: the mail was longer than the limit]',
        ),
        indicators: indicatorsInText(
          text,
          [mailboxDomain, senderDomain],
          mail.attachments.map((a) => a.filename),
        ),
        occurredAt: null,
      },
      { inboxId: mail.inboxId },
    );
    const skipped: string[] = [];
    let stored = 0;
    for (const a of mail.attachments) {
      const filename = safeFilename(a.filename);
      const type = attachmentType(a.contentType);
      const why =
        type === undefined
          ? `type ${a.contentType.slice(0, 100)} is not accepted`
          : a.content.length === 0
            ? 'it is empty'
            : a.content.length > this.config.INCIDENT_ATTACHMENT_MAX_BYTES
              ? `it is larger than ${this.config.INCIDENT_ATTACHMENT_MAX_BYTES} bytes`
              : stored >= MAX_ATTACHMENTS
                ? `a report has at most ${MAX_ATTACHMENTS} attachments`
                : await contentMismatch(type, a.content);
      if (why !== undefined || type === undefined) {
        skipped.push(`${filename}: ${why ?? 'not accepted'}`);
        continue;
      }
      await this.storeAttachment(manager, row, filename, type, a.content, null, 'email', now);
      stored += 1;
    }
    if (skipped.length > 0) {
      await this.incidents.addEvent(manager, row.id, {
        kind: 'note',
        actorType: 'system',
        actorId: null,
        organizationId: null,
        body: bounded(
          `Tệp đính kèm không được lưu / Attachments not stored:\n${skipped.join('\n')}`,
          8000,
          '…',
        ),
        at: now,
      });
    }
    return { incidentId: row.id };
  }

  /** Files a report in `manager`'s transaction: the row, its event, audit, outbox and mail. */
  private async file(
    manager: EntityManager,
    reporter: Reporter,
    filing: Filing,
    extra: Record<string, unknown> = {},
  ): Promise<IncidentRow> {
    const now = this.clock.now();
    const row = await this.incidents.insert(manager, {
      reporterOrganizationId: reporter.organizationId,
      reporterType: reporter.type,
      reporterId: reporter.id,
      reporterEmail: reporter.email,
      source: reporter.source,
      ...filing,
      dueAt: new Date(now.getTime() + this.slaHours(filing.severity) * HOUR_MS),
      createdAt: now,
    });
    await this.incidents.addEvent(manager, row.id, {
      kind: 'created',
      actorType: reporter.type,
      actorId: reporter.id,
      organizationId: reporter.organizationId,
      body: null,
      at: now,
    });
    await this.audit.record(manager, {
      actor: reporter.audit,
      action: 'incident.create',
      objectType: 'incident',
      objectId: row.id,
      summary: {
        reference: row.reference,
        source: row.source,
        reporterOrganizationId: row.reporterOrganizationId,
        category: row.category,
        severity: row.severity,
        indicators: row.indicators.length,
        dueAt: row.dueAt.toISOString(),
        ...extra,
      },
    });
    await this.outbox.enqueue(manager, {
      topic: 'incident.created',
      aggregateId: row.id,
      payload: this.payload(row),
      recipients: await this.incidents.departmentIds(manager, MAX_DEPARTMENTS),
    });
    await this.mailTo(manager, row, 'responders', 'created', row.description.slice(0, 2000));
    return row;
  }

  list(caller: Principal, query: IncidentListQuery): Promise<Page<IncidentResponse>> {
    const now = this.clock.now();
    const scope = incidentScope(caller);
    return paginate(
      query,
      (after, limit) =>
        this.incidents.list(
          {
            organizationId: scope.organizationId,
            status: query.status,
            severity: query.severity,
            category: query.category,
            assigneeId: query.assigneeId,
          },
          after,
          limit,
        ),
      (r) => toResponse(r, now),
    );
  }

  async get(caller: Principal, id: string): Promise<IncidentDetail> {
    const row = await this.visible(caller, id);
    const [events, attachments] = await Promise.all([
      this.incidents.events(id, MAX_EVENTS_SHOWN),
      this.incidents.attachments(id),
    ]);
    const internal = seesInternal(caller);
    return {
      ...toResponse(row, this.clock.now()),
      events: events
        .filter((e) => internal || e.kind !== 'note' || e.actorType === 'system')
        .map((e) => ({
          id: e.id,
          kind: e.kind,
          actorType: e.actorType,
          actorId: e.actorId,
          organizationId: e.organizationId,
          body: e.body,
          createdAt: e.createdAt.toISOString(),
        })),
      attachments: attachments.map(toAttachmentResponse),
    };
  }

  /**
   * Stores one attachment read from the request body: its declared type must be one of
   * ATTACHMENT_TYPES (415), its size at most INCIDENT_ATTACHMENT_MAX_BYTES (413), its content
   * what the type says (422); at most 10 per report (409). The reporting organization and
   * responders may upload, while the report is not closed.
   */
  async addAttachment(
    caller: Principal,
    id: string,
    body: { stream: Readable; contentType: string } | undefined,
    contentLength: number | undefined,
    filename: string | undefined,
  ): Promise<AttachmentResponse> {
    const type = attachmentType(body?.contentType);
    if (!body || type === undefined) {
      throw httpProblem(
        HttpStatus.UNSUPPORTED_MEDIA_TYPE,
        `An attachment is one of ${ATTACHMENT_TYPES.join(', ')}`,
      );
    }
    const max = this.config.INCIDENT_ATTACHMENT_MAX_BYTES;
    if (contentLength !== undefined && contentLength > max) throw tooLarge(max);
    const row = await this.visible(caller, id);
    this.checkMayUpload(caller, row);
    const content = await readAtMost(body.stream, max);
    if (content.length === 0) {
      throw validationProblem([{ name: 'body', reason: 'the attachment is empty' }]);
    }
    const mismatch = await contentMismatch(type, content);
    if (mismatch !== undefined) {
      throw unprocessable(`The attachment is refused: ${mismatch}`, {
        title: 'The content does not match its type',
      });
    }
    const name = safeFilename(filename);
    const saved = await this.dataSource.transaction(async (manager) => {
      const locked = await this.incidents.lockById(manager, id);
      if (!locked) throw notFound('incident');
      this.checkMayUpload(caller, locked);
      return this.storeAttachment(
        manager,
        locked,
        name,
        type,
        content,
        caller,
        actorType(caller),
        this.clock.now(),
      );
    });
    return toAttachmentResponse(saved);
  }

  private checkMayUpload(caller: Principal, row: IncidentRow): void {
    if (!isResponder(caller) && caller.organizationId !== row.reporterOrganizationId) {
      throw forbidden('Only the reporting organization and the response team add attachments');
    }
    if (row.status === 'closed') throw invalidState('The incident is closed');
  }

  private async storeAttachment(
    manager: EntityManager,
    row: IncidentRow,
    filename: string,
    type: AttachmentType,
    content: Buffer,
    caller: Principal | null,
    by: ReporterType,
    now: Date,
  ): Promise<AttachmentRow> {
    const count = await this.incidents.countAttachments(manager, row.id);
    if (count >= MAX_ATTACHMENTS) {
      throw invalidState(`The incident has ${count} attachments, the most it may have`, {
        extensions: { limit: 'attachments-per-incident', limitValue: MAX_ATTACHMENTS },
      });
    }
    const sha256 = createHash('sha256').update(content).digest('hex');
    const saved = await this.incidents.addAttachment(manager, row.id, {
      filename,
      contentType: type,
      sha256,
      content,
      uploadedByType: by,
      uploadedById: caller?.id ?? null,
      at: now,
    });
    await this.incidents.addEvent(manager, row.id, {
      kind: 'attachment_added',
      actorType: by,
      actorId: caller?.id ?? null,
      organizationId: caller?.organizationId ?? row.reporterOrganizationId,
      body: filename,
      at: now,
    });
    await this.audit.record(manager, {
      actor: caller ?? 'system',
      action: 'incident.attach',
      objectType: 'incident',
      objectId: row.id,
      summary: {
        attachmentId: saved.id,
        filename,
        contentType: type,
        sizeBytes: content.length,
        sha256,
      },
    });
    return saved;
  }

  /** An attachment's bytes and the headers it is served with. */
  async attachment(
    caller: Principal,
    id: string,
    attachmentId: string,
  ): Promise<{ content: Buffer; headers: Record<string, string> }> {
    await this.visible(caller, id);
    const a = await this.incidents.attachmentContent(id, attachmentId);
    if (!a) throw notFound('attachment');
    return {
      content: a.content,
      headers: {
        'content-type': servedType(a.contentType),
        'content-disposition': attachmentDisposition(a.filename),
        'x-content-type-options': 'nosniff',
        'content-security-policy': "default-src 'none'; sandbox",
        'cache-control': 'private, no-store',
        digest: `sha-256=${Buffer.from(a.sha256, 'hex').toString('base64')}`,
      },
    };
  }

  assign(caller: Principal, id: string, body: AssignIncidentRequest): Promise<IncidentDetail> {
    return this.act(caller, id, body, OPEN, { action: 'incident.assign' }, async (manager, row) => {
      if (!(await this.incidents.isDepartmentResponder(manager, body.assigneeId))) {
        throw unprocessable(`${body.assigneeId} is not a responder of the Department`, {
          extensions: {
            'invalid-params': [{ name: 'assigneeId', reason: 'not a responder of the Department' }],
          },
        });
      }
      const status = row.status === 'new' ? 'triaged' : row.status;
      return {
        changes: { assigneeId: body.assigneeId, status },
        event: { kind: 'assigned', body: body.assigneeId },
        summary: { assigneeId: body.assigneeId, from: row.status, to: status },
        mail: [{ to: 'reporter', kind: 'assigned' }],
        assignee: body.assigneeId,
      };
    });
  }

  requestInformation(
    caller: Principal,
    id: string,
    body: IncidentMessageRequest,
  ): Promise<IncidentDetail> {
    return this.act(caller, id, body, OPEN, { action: 'incident.request_information' }, (_m, row) =>
      Promise.resolve({
        changes: { status: 'awaiting_information' },
        event: { kind: 'information_requested', body: body.message },
        summary: { from: row.status, to: 'awaiting_information' },
        mail: [{ to: 'reporter', kind: 'informationRequested', message: body.message }],
      }),
    );
  }

  /** The reporting organization answers (any open state; awaiting information → triaged). */
  provideInformation(
    caller: Principal,
    id: string,
    body: IncidentMessageRequest,
  ): Promise<IncidentDetail> {
    return this.act(
      caller,
      id,
      body,
      OPEN,
      { action: 'incident.provide_information' },
      (_m, row) => {
        if (caller.organizationId !== row.reporterOrganizationId) {
          throw forbidden('Only the reporting organization provides information on its report');
        }
        const status = row.status === 'awaiting_information' ? 'triaged' : row.status;
        return Promise.resolve({
          changes: { status },
          event: { kind: 'information_provided', body: body.message },
          summary: { from: row.status, to: status },
          mail: [{ to: 'responders', kind: 'informationProvided', message: body.message }],
          toDepartment: true,
        });
      },
    );
  }

  /** The response team's internal note: shown to the Department and authorities only; no notice. */
  note(caller: Principal, id: string, body: IncidentMessageRequest): Promise<IncidentDetail> {
    return this.act(
      caller,
      id,
      body,
      [...OPEN, 'resolved', 'closed'],
      { action: 'incident.note' },
      () =>
        Promise.resolve({
          changes: {},
          event: { kind: 'note', body: body.message },
          summary: { length: body.message.length },
          mail: [],
          quiet: true,
        }),
    );
  }

  linkCase(caller: Principal, id: string, body: LinkCaseRequest): Promise<IncidentDetail> {
    const cases = this.cases;
    return this.act(
      caller,
      id,
      body,
      [...OPEN, 'resolved'],
      { action: 'incident.link_case' },
      async (manager, row) => {
        const found = await cases.exists(manager, body.caseId);
        if (!found) {
          throw unprocessable(`No case ${body.caseId}`, {
            extensions: { 'invalid-params': [{ name: 'caseId', reason: 'no such case' }] },
          });
        }
        return {
          changes: { caseId: body.caseId },
          event: { kind: 'case_linked', body: body.caseId },
          summary: { caseId: body.caseId, unitId: found.unitId, previous: row.caseId },
          mail: [{ to: 'reporter', kind: 'caseLinked' }],
        };
      },
    );
  }

  /**
   * A draft blocking request whose items are the report's network indicators (hashes are not
   * for network feeds), created by the responder in the report's transaction; its document
   * number is the report's reference. Refused (409) when the report has none, or has a request.
   */
  async draftRequest(
    caller: Principal,
    id: string,
    body: DraftRequestFromIncident,
  ): Promise<IncidentDetail> {
    try {
      return await this.act(
        caller,
        id,
        body,
        [...OPEN, 'resolved'],
        { action: 'incident.draft_request' },
        async (manager, row) => {
          if (row.requestId !== null) {
            throw conflict(`The incident has a blocking request already: ${row.requestId}`, {
              extensions: { blockingRequestId: row.requestId },
            });
          }
          const values = row.indicators.filter((i) => NETWORK_TYPES.has(i.type));
          if (values.length === 0) {
            throw invalidState('The incident has no network indicators to block');
          }
          const targetsAll = body.targetsAll ?? (body.targetOrganizationIds ?? []).length === 0;
          const requestId = await this.requests.createDraftWithin(
            manager,
            caller,
            {
              documentNumber: row.reference,
              title:
                body.title ??
                ([...row.title].length >= 3 ? row.title : `${row.reference}: ${row.title}`),
              legalBasis: body.reason ?? `Incident report ${row.reference}`,
              description: `From incident report ${row.reference}.`,
              category: requestCategory(row.category),
              severity: row.severity,
              targetsAll,
              targetOrganizationIds: targetsAll ? [] : body.targetOrganizationIds,
            },
            values.map((v) => ({ type: v.type as IndicatorType, value: v.value })),
          );
          return {
            changes: { requestId },
            event: { kind: 'request_drafted', body: requestId },
            summary: { requestId, items: values.length },
            mail: [{ to: 'reporter', kind: 'requestDrafted' }],
          };
        },
      );
    } catch (error) {
      if (sqlState(error) === '23505') {
        throw conflict(
          'A blocking request with the incident’s reference as its document number exists already',
        );
      }
      throw error;
    }
  }

  resolve(caller: Principal, id: string, body: ResolveIncidentRequest): Promise<IncidentDetail> {
    return this.act(caller, id, body, OPEN, { action: 'incident.resolve' }, (_m, row, now) =>
      Promise.resolve({
        changes: { status: 'resolved', resolution: body.resolution, resolvedAt: now },
        event: { kind: 'status_changed', body: body.resolution },
        summary: { from: row.status, to: 'resolved' },
        mail: [{ to: 'reporter', kind: 'resolved', message: body.resolution }],
      }),
    );
  }

  close(caller: Principal, id: string, body: VersionedIncidentAction): Promise<IncidentDetail> {
    return this.act(caller, id, body, ['resolved'], { action: 'incident.close' }, (_m, row) =>
      Promise.resolve({
        changes: { status: 'closed' },
        event: { kind: 'status_changed', body: null },
        summary: { from: row.status, to: 'closed' },
        mail: [{ to: 'reporter', kind: 'closed' }],
      }),
    );
  }

  /**
   * One triage action: locks the report (404 if the caller cannot see it), checks its state
   * (409 invalid-state) and the caller's version (409), applies `decide`'s changes with the
   * event row, the audit event, `incident.updated` to the reporting organization (and the
   * Department when the reporter acts) and the mails, in one transaction.
   */
  private async act(
    caller: Principal,
    id: string,
    body: VersionedIncidentAction,
    allowed: IncidentStatus[],
    { action }: { action: string },
    decide: (
      manager: EntityManager,
      row: IncidentRow,
      now: Date,
    ) => Promise<Outcome & { assignee?: string; quiet?: boolean }>,
  ): Promise<IncidentDetail> {
    await this.dataSource.transaction(async (manager) => {
      const row = visibleOr404(
        incidentScope(caller),
        await this.incidents.lockById(manager, id),
        'incident',
        (r) => r.reporterOrganizationId,
      );
      if (!allowed.includes(row.status)) {
        throw invalidState(`The incident is ${row.status}; this needs it ${allowed.join(' or ')}`, {
          extensions: { status: row.status },
        });
      }
      if (body.version !== row.version) throw staleVersion('incident');
      const now = this.clock.now();
      const outcome = await decide(manager, row, now);
      if (!(await this.incidents.updateIfVersion(manager, id, row.version, outcome.changes, now))) {
        throw staleVersion('incident');
      }
      const by: EventActorType = actorType(caller);
      await this.incidents.addEvent(manager, id, {
        kind: outcome.event.kind,
        actorType: by,
        actorId: caller.id,
        organizationId: caller.organizationId,
        body: outcome.event.body,
        at: now,
      });
      await this.audit.record(manager, {
        actor: caller,
        action,
        objectType: 'incident',
        objectId: id,
        summary: { reference: row.reference, ...outcome.summary },
      });
      if (outcome.quiet) return;
      const updated = { ...row, ...stripUndefined(outcome.changes), version: row.version + 1 };
      const departments = outcome.toDepartment
        ? await this.incidents.departmentIds(manager, MAX_DEPARTMENTS)
        : [];
      await this.outbox.enqueue(manager, {
        topic: 'incident.updated',
        aggregateId: id,
        payload: { ...this.payload(updated), change: outcome.event.kind },
        recipients: [row.reporterOrganizationId, ...departments],
      });
      for (const m of outcome.mail) {
        await this.mailTo(manager, updated, m.to, m.kind, m.message);
      }
      if (outcome.assignee !== undefined) {
        const address = await this.incidents.userEmail(manager, outcome.assignee);
        if (address) {
          await this.send(manager, updated, [address], 'assignedToYou');
        }
      }
    });
    return this.get(caller, id);
  }

  /** What webhooks receive about a report: nothing its recipients may not see. */
  private payload(row: IncidentRow): Record<string, unknown> {
    return {
      incidentId: row.id,
      reference: row.reference,
      reporterOrganizationId: row.reporterOrganizationId,
      category: row.category,
      severity: row.severity,
      status: row.status,
      dueAt: row.dueAt.toISOString(),
      version: row.version,
    };
  }

  /**
   * Mails the reporter (the address a mailed report came from, else the reporting
   * organization's addresses) or the responders (the assignee, else every responder).
   */
  async mailTo(
    manager: EntityManager,
    row: IncidentRow,
    to: 'reporter' | 'responders',
    kind: NoticeKind,
    message?: string,
  ): Promise<void> {
    let recipients: string[];
    if (to === 'reporter') {
      recipients = row.reporterEmail
        ? [row.reporterEmail]
        : await this.people.emailsOf(row.reporterOrganizationId, undefined, manager);
    } else {
      const assignee = row.assigneeId
        ? await this.incidents.userEmail(manager, row.assigneeId)
        : null;
      recipients = assignee
        ? [assignee]
        : await this.people.emailsByRole('department', ['responder'], manager);
    }
    await this.send(manager, row, recipients, kind, message);
  }

  private async send(
    manager: EntityManager,
    row: IncidentRow,
    recipients: string[],
    kind: NoticeKind,
    message?: string,
  ): Promise<void> {
    const text = notice(kind, row, message);
    await this.mail.enqueue(manager, {
      topic: `incident.${kind.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}`,
      aggregateId: row.id,
      recipients,
      subject: text.subject,
      body: text.body,
    });
  }

  /** The report if the caller may see it; 404 otherwise (as for one that does not exist). */
  private async visible(caller: Principal, id: string): Promise<IncidentRow> {
    return visibleOr404(
      incidentScope(caller),
      await this.incidents.findById(id),
      'incident',
      (r) => r.reporterOrganizationId,
    );
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function tooLarge(max: number) {
  return payloadTooLarge(
    `An attachment is at most ${max} bytes (INCIDENT_ATTACHMENT_MAX_BYTES)`,
    { name: 'incident-attachment-size', value: max },
    { headers: { connection: 'close' } },
  );
}

/** The body, or a 413 as soon as it passes `max` bytes (the rest is not read). */
async function readAtMost(stream: Readable, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream) {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
      size += buffer.length;
      if (size > max) {
        stream.destroy();
        throw tooLarge(max);
      }
      chunks.push(buffer);
    }
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE') {
      throw badRequest('The request body ended before it was complete');
    }
    throw error;
  }
  return Buffer.concat(chunks);
}
