import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, MaxLength, MinLength } from 'class-validator';
import { PageQuery } from '#src/platform/pagination/index.js';
import type { AttachmentMeta } from '#src/messaging/mail/mail-content.js';
import {
  INBOX_STATUSES,
  type InboxDetailRow,
  type InboxRow,
  type InboxStatus,
} from '#src/messaging/mail/mail-inbox.repository.js';
import {
  OUTBOX_STATUSES,
  type OutboxRow,
  type OutboxStatus,
} from '#src/messaging/mail/mail-outbox.repository.js';

export class MailInboxQuery extends PageQuery {
  @ApiPropertyOptional({ enum: INBOX_STATUSES })
  @IsOptional()
  @IsIn(INBOX_STATUSES, { message: `status must be one of ${INBOX_STATUSES.join(', ')}` })
  status?: InboxStatus;
}

export class MailOutboxQuery extends PageQuery {
  @ApiPropertyOptional({ enum: OUTBOX_STATUSES })
  @IsOptional()
  @IsIn(OUTBOX_STATUSES, { message: `status must be one of ${OUTBOX_STATUSES.join(', ')}` })
  status?: OutboxStatus;
}

export class ReleaseMailRequest {
  @ApiProperty({
    format: 'uuid',
    description: 'The organization the report is filed for (the sender is not in the directory)',
  })
  @IsUUID('all', { message: 'organizationId must be a UUID' })
  organizationId!: string;
}

export class RejectMailRequest {
  @ApiProperty({ minLength: 1, maxLength: 400, example: 'Spam, not an incident report' })
  @IsString()
  @MinLength(1)
  @MaxLength(400)
  reason!: string;
}

export class MailAttachmentResponse {
  @ApiProperty({ example: 'screenshot.png', description: 'Sanitized file name' })
  filename!: string;
  @ApiProperty({ example: 'image/png' })
  contentType!: string;
  @ApiProperty({ description: 'Bytes' })
  size!: number;
  @ApiProperty({
    type: String,
    nullable: true,
    description:
      'Why it was not handed to the incident report (too large, too many); null when it was',
  })
  skipped!: string | null;
}

export class MailInboxResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty({ type: String, nullable: true, description: 'The Message-ID header' })
  messageId!: string | null;
  @ApiProperty({ description: 'The envelope sender (SMTP MAIL FROM), lower-case' })
  fromAddress!: string;
  @ApiProperty({ type: String, nullable: true, description: 'The From header as written' })
  headerFrom!: string | null;
  @ApiProperty({ type: [String], description: 'The To and Cc headers’ addresses' })
  toAddresses!: string[];
  @ApiProperty()
  subject!: string;
  @ApiProperty({ description: 'Size of the raw message in bytes' })
  sizeBytes!: number;
  @ApiProperty({ description: 'SHA-256 of the raw message, hex' })
  rawSha256!: string;
  @ApiProperty({ format: 'date-time' })
  receivedAt!: string;
  @ApiProperty({
    enum: INBOX_STATUSES,
    description:
      'accepted: filed as an incident report; quarantined: waits for a responder; released: filed by a responder; rejected: refused by a responder',
  })
  status!: InboxStatus;
  @ApiProperty({ type: String, nullable: true, description: 'Why it was quarantined or rejected' })
  reason!: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  organizationId!: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  userId!: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  incidentId!: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  reviewedBy!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  reviewedAt!: string | null;
  @ApiProperty({ type: [MailAttachmentResponse] })
  attachments!: MailAttachmentResponse[];
}

export class MailInboxDetailResponse extends MailInboxResponse {
  @ApiProperty({
    description: 'The text part (or the HTML part as text), at most 100,000 characters',
  })
  body!: string;
}

export class MailInboxPage {
  @ApiProperty({ type: [MailInboxResponse] })
  items!: MailInboxResponse[];
  @ApiProperty({ type: String, nullable: true })
  nextCursor!: string | null;
}

export class MailOutboxResponse {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty({ example: 'incident.reminder' })
  topic!: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  aggregateId!: string | null;
  @ApiProperty({ type: [String] })
  recipients!: string[];
  @ApiProperty()
  subject!: string;
  @ApiProperty({ enum: OUTBOX_STATUSES })
  status!: OutboxStatus;
  @ApiProperty({ description: 'Attempts so far' })
  attempts!: number;
  @ApiProperty({ format: 'date-time', description: 'When it is (or was last) due' })
  nextAttemptAt!: string;
  @ApiProperty({ type: String, nullable: true })
  lastError!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'The Message-ID it was sent with' })
  messageId!: string | null;
  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  sentAt!: string | null;
}

export class MailOutboxPage {
  @ApiProperty({ type: [MailOutboxResponse] })
  items!: MailOutboxResponse[];
  @ApiProperty({ type: String, nullable: true })
  nextCursor!: string | null;
}

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());

function toAttachment(a: AttachmentMeta): MailAttachmentResponse {
  return {
    filename: a.filename,
    contentType: a.contentType,
    size: a.size,
    skipped: a.skipped ?? null,
  };
}

export function toInboxResponse(row: InboxRow): MailInboxResponse {
  return {
    id: row.id,
    messageId: row.messageId,
    fromAddress: row.fromAddress,
    headerFrom: row.headerFrom,
    toAddresses: row.toAddresses,
    subject: row.subject,
    sizeBytes: row.sizeBytes,
    rawSha256: row.rawSha256,
    receivedAt: row.receivedAt.toISOString(),
    status: row.status,
    reason: row.reason,
    organizationId: row.organizationId,
    userId: row.userId,
    incidentId: row.incidentId,
    reviewedBy: row.reviewedBy,
    reviewedAt: iso(row.reviewedAt),
    attachments: row.attachments.map(toAttachment),
  };
}

export function toInboxDetail(row: InboxDetailRow): MailInboxDetailResponse {
  return { ...toInboxResponse(row), body: row.body };
}

export function toOutboxResponse(row: OutboxRow): MailOutboxResponse {
  return {
    id: row.id,
    topic: row.topic,
    aggregateId: row.aggregateId,
    recipients: row.recipients,
    subject: row.subject,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.nextAttemptAt.toISOString(),
    lastError: row.lastError,
    messageId: row.messageId,
    createdAt: row.createdAt.toISOString(),
    sentAt: iso(row.sentAt),
  };
}
