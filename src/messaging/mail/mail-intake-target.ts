import type { EntityManager } from 'typeorm';

/** A file attached to a received mail, within the intake's size and type limits. */
export interface IntakeAttachment {
  filename: string;
  contentType: string;
  content: Buffer;
}

/** A mail received at the incident mailbox, from a sender the directory knows. */
export interface IntakeMail {
  /** The `mail_inbox` row it came from. */
  inboxId: string;
  /** The sender's organization (its contact address or one of its people's). */
  organizationId: string;
  /** The person it came from, when the address is a user's. */
  userId: string | null;
  fromAddress: string;
  subject: string;
  text: string;
  attachments: readonly IntakeAttachment[];
  receivedAt: Date;
}

/**
 * Where a mail sent to the incident mailbox goes: messaging receives and vets the mail, the
 * response context turns it into an incident report. Messaging declares this port and calls it in
 * the transaction that accepts the mail; the response context provides it globally.
 */
export abstract class MailIntakeTarget {
  /** Files an incident report from the mail; returns its id. */
  abstract fromMail(manager: EntityManager, mail: IntakeMail): Promise<{ incidentId: string }>;
}
