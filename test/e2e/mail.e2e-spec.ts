import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { Global, Module } from '@nestjs/common';
import request from 'supertest';
import { DataSource, type EntityManager } from 'typeorm';
import { ManualClock } from '#src/platform/clock/clock.js';
import { MailIntakeTarget, type IntakeMail } from '#src/messaging/mail/mail-intake-target.js';
import { MailOutbox } from '#src/messaging/mail/mail-outbox.js';
import { MailSender } from '#src/messaging/mail/mail-sender.js';
import { MailIntake } from '#src/messaging/mail/mail-intake.js';
import { MailInboxRepository } from '#src/messaging/mail/mail-inbox.repository.js';
import { freshDatabase } from '#test/support/database-urls.js';
import { Factories } from '#test/support/factories.js';
import { status } from '#test/support/requests.js';
import { freePort, sendMail, startSmtpSink, type SmtpSink } from '#test/support/smtp.js';
import { createTestApp, type TestApp } from '#test/support/test-app.js';

const MAILBOX = 'su-co@soc.example';
const HOUR = 3600_000;
const MAX_BYTES = 8 * 1024 * 1024;
const PER_SENDER = 3;

/** What the response context will do, faked: records each mail, answers a new incident id. */
const filed: (IntakeMail & { incidentId: string })[] = [];
class FakeIntakeTarget extends MailIntakeTarget {
  fromMail(_manager: EntityManager, mail: IntakeMail): Promise<{ incidentId: string }> {
    if (mail.subject.includes('explode')) return Promise.reject(new Error('the intake exploded'));
    const incidentId = randomUUID();
    filed.push({ ...mail, incidentId });
    return Promise.resolve({ incidentId });
  }
}

@Global()
@Module({
  providers: [{ provide: MailIntakeTarget, useClass: FakeIntakeTarget }],
  exports: [MailIntakeTarget],
})
class FakeIntakeModule {}

interface InboxRow {
  id: string;
  status: string;
  reason: string | null;
  incident_id: string | null;
  organization_id: string | null;
  user_id: string | null;
  attachments: { filename: string; contentType: string; size: number; skipped?: string }[];
  subject: string;
  body: string;
  size_bytes: number;
}

/**
 * E-mail both ways with real SMTP: the mail outbox sent through nodemailer to an SMTP server the
 * test runs (retries, permanent refusals), and the incident mailbox's intake (smtp-server in the
 * application) receiving mails that the test sends with nodemailer: accepted, quarantined,
 * released, rejected, refused (recipient, size, per-sender limit), deduplicated.
 */
describe('mail', () => {
  let t: TestApp;
  let db: DataSource;
  let sink: SmtpSink;
  let intakePort: number;
  let make: Factories;
  let fresh: { url: string; drop: () => Promise<void> } | undefined;
  const clock = new ManualClock();

  const inboxOf = (from: string): Promise<InboxRow[]> =>
    db.query<InboxRow[]>(
      `SELECT id, status, reason, incident_id, organization_id, user_id, attachments, subject, body,
              size_bytes
         FROM mail_inbox WHERE from_address = $1 ORDER BY received_at, id`,
      [from.toLowerCase()],
    );
  const auditActions = async (objectId: string): Promise<string[]> => {
    await t.sealAudit();
    const rows = await db.query<{ action: string }[]>(
      `SELECT action FROM audit_events WHERE object_id = $1 ORDER BY seq`,
      [objectId],
    );
    return rows.map((r) => r.action);
  };
  const enqueue = (recipients: string[], subject: string, body: string): Promise<string> =>
    db.transaction(async (manager) => {
      const [id] = await t.app.get(MailOutbox).enqueue(manager, {
        topic: 'incident.reminder',
        aggregateId: randomUUID(),
        recipients,
        subject,
        body,
      });
      return id;
    });
  const outboxRow = async (id: string) =>
    (
      await db.query<
        {
          status: string;
          attempts: number;
          message_id: string | null;
          last_error: string | null;
          next_attempt_at: Date;
        }[]
      >(
        `SELECT status, attempts, message_id, last_error, next_attempt_at FROM mail_outbox WHERE id = $1`,
        [id],
      )
    )[0];
  const smtpCode = async (promise: Promise<unknown>): Promise<number | undefined> => {
    try {
      await promise;
    } catch (error) {
      return (error as { responseCode?: number }).responseCode;
    }
    throw new Error('the SMTP server accepted the mail');
  };

  beforeAll(async () => {
    sink = await startSmtpSink();
    intakePort = await freePort();
    // A database of its own: the sender claims every due mail, and other files queue theirs.
    fresh = await freshDatabase();
    t = await createTestApp({
      clock,
      databaseUrl: fresh.url,
      extraImports: [FakeIntakeModule],
      env: {
        SMTP_URL: sink.url,
        MAIL_FROM: 'noreply@threat-exchange.example',
        MAIL_MAX_ATTEMPTS: '3',
        MAIL_RETRY_BASE_MS: '1000',
        SMTP_TIMEOUT_MS: '2000',
        MAIL_INTAKE_PORT: String(intakePort),
        MAIL_INTAKE_ADDRESS: MAILBOX,
        MAIL_INTAKE_MAX_BYTES: String(MAX_BYTES),
        MAIL_INTAKE_PER_SENDER_PER_HOUR: String(PER_SENDER),
      },
    });
    db = t.app.get(DataSource);
    make = new Factories(t.app);
  });

  afterAll(async () => {
    await t?.close();
    await fresh?.drop();
    await sink?.close();
  });

  describe('sending', () => {
    it('splits a notice to many into mails of at most 50 recipients, none lost', async () => {
      const everyone = Array.from({ length: 120 }, (_, i) => `Responder-${i}@Dic.Example`);
      const ids = await db.transaction((manager) =>
        t.app.get(MailOutbox).enqueue(manager, {
          topic: 'incident.created',
          aggregateId: randomUUID(),
          recipients: [...everyone, ' ', everyone[0]],
          subject: 'Báo cáo sự cố mới',
          body: 'x',
        }),
      );
      expect(ids).toHaveLength(3);
      const rows = await db.query<{ recipients: string[] }[]>(
        `SELECT recipients FROM mail_outbox WHERE id = ANY($1) ORDER BY cardinality(recipients) DESC`,
        [ids],
      );
      expect(rows.map((r) => r.recipients.length)).toEqual([50, 50, 20]);
      expect(rows.flatMap((r) => r.recipients).sort()).toEqual(
        everyone.map((e) => e.toLowerCase()).sort(),
      );
      // Nobody to tell: nothing queued.
      expect(
        await db.transaction((manager) =>
          t.app.get(MailOutbox).enqueue(manager, {
            topic: 'incident.created',
            aggregateId: null,
            recipients: [' '],
            subject: 's',
            body: 'b',
          }),
        ),
      ).toEqual([]);
      // Out of the way of the next tests, which count what one sender round claims.
      await db.query(`UPDATE mail_outbox SET status = 'failed' WHERE id = ANY($1)`, [ids]);
    });

    it('sends a queued mail through SMTP: recipients, UTF-8 subject and body, Message-ID, audit', async () => {
      const subject = 'Nhắc việc: sự cố mã độc tại Ủy ban nhân dân xã';
      const body = 'Kính gửi đơn vị,\nĐề nghị xử lý sự cố trước 17 giờ hôm nay. Trân trọng.';
      const id = await enqueue(['Unit.Officer@xa.example', 'responder@soc.example'], subject, body);

      expect(await t.app.get(MailSender).runOnce()).toEqual({
        claimed: 1,
        sent: 1,
        retried: 0,
        failed: 0,
      });
      const mail = await sink.waitFor((m) => m.parsed.subject === subject);
      expect(mail.envelope.to.sort()).toEqual(['responder@soc.example', 'unit.officer@xa.example']);
      expect(mail.envelope.from).toBe('noreply@threat-exchange.example');
      expect(mail.parsed.text?.trim()).toBe(body);
      expect(mail.parsed.headers.get('auto-submitted')).toBe('auto-generated');

      const row = await outboxRow(id);
      expect(row).toMatchObject({ status: 'sent', attempts: 1, last_error: null });
      expect(row.message_id).toBe(`<${id}@threat-exchange.example>`);
      expect(mail.parsed.messageId).toBe(row.message_id);
      expect(await auditActions(id)).toEqual(['mail.queue', 'mail.send']);
      // Nothing is due any more.
      expect((await t.app.get(MailSender).runOnce()).claimed).toBe(0);
    });

    it('fails a mail at once when the server refuses it for good (5xx)', async () => {
      sink.rejectRecipients = /^nobody@/;
      try {
        const id = await enqueue(['nobody@xa.example'], 'Refused', 'text');
        expect(await t.app.get(MailSender).runOnce()).toMatchObject({ claimed: 1, failed: 1 });
        const row = await outboxRow(id);
        expect(row).toMatchObject({ status: 'failed', attempts: 1 });
        expect(row.last_error).toContain('550');
        expect(await auditActions(id)).toEqual(['mail.queue', 'mail.fail']);
      } finally {
        sink.rejectRecipients = null;
      }
    });

    it('lists the outbox for auditors, without bodies; refuses ISP operators', async () => {
      const { token } = await make.loginAs('auditor');
      const res = await request(t.server)
        .get('/api/v1/mail/outbox?status=sent&limit=10')
        .set('authorization', `Bearer ${token}`)
        .expect(status(200));
      expect(res.body.items).toHaveLength(1);
      expect(res.body.items[0]).toMatchObject({ status: 'sent', topic: 'incident.reminder' });
      expect(res.body.items[0].body).toBeUndefined();
      const isp = await make.loginAs('isp_operator');
      await request(t.server)
        .get('/api/v1/mail/outbox')
        .set('authorization', `Bearer ${isp.token}`)
        .expect(status(403));
    });

    it('retries with backoff while the SMTP server is down, then fails after MAIL_MAX_ATTEMPTS', async () => {
      await sink.close();
      const sender = t.app.get(MailSender);
      const id = await enqueue(['unit@xa.example'], 'While down', 'text');

      expect(await sender.runOnce()).toMatchObject({ claimed: 1, retried: 1 });
      let row = await outboxRow(id);
      expect(row).toMatchObject({ status: 'pending', attempts: 1 });
      expect(row.last_error).toMatch(/ECONNREFUSED|ECONNECTION|ESOCKET/);
      expect(row.next_attempt_at.getTime()).toBeGreaterThanOrEqual(clock.now().getTime());
      expect(row.next_attempt_at.getTime()).toBeLessThanOrEqual(clock.now().getTime() + 1000);

      clock.advance(HOUR);
      expect(await sender.runOnce()).toMatchObject({ claimed: 1, retried: 1 });
      clock.advance(HOUR);
      expect(await sender.runOnce()).toMatchObject({ claimed: 1, failed: 1 });
      row = await outboxRow(id);
      expect(row).toMatchObject({ status: 'failed', attempts: 3 });
      expect(await auditActions(id)).toEqual(['mail.queue', 'mail.fail']);
    });
  });

  describe('the incident mailbox', () => {
    it('listens on MAIL_INTAKE_PORT', () => {
      expect(t.app.get(MailIntake).port).toBe(intakePort);
    });

    it('files a known sender’s mail as an incident report, with its attachments within limits', async () => {
      const unit = await make.organization('unit');
      const officer = await make.user(unit, ['unit_officer']);
      const before = filed.length;
      await sendMail(intakePort, {
        from: officer.email,
        to: MAILBOX,
        subject: 'Báo cáo sự cố: máy chủ bị nhiễm mã độc',
        text: 'Máy chủ kế toán kết nối tới địa chỉ lạ từ 8 giờ sáng.',
        attachments: [
          { filename: 'nhat-ky.txt', content: 'log line\n', contentType: 'text/plain' },
          { filename: '../../etc/pass\u0007wd', content: Buffer.from([1, 2, 3]) },
        ],
      });
      const [row] = await inboxOf(officer.email);
      expect(row).toMatchObject({
        status: 'accepted',
        reason: null,
        organization_id: unit.id,
        user_id: officer.id,
        subject: 'Báo cáo sự cố: máy chủ bị nhiễm mã độc',
      });
      expect(filed).toHaveLength(before + 1);
      const mail = filed.at(-1)!;
      expect(row.incident_id).toBe(mail.incidentId);
      expect(mail).toMatchObject({
        inboxId: row.id,
        organizationId: unit.id,
        userId: officer.id,
        fromAddress: officer.email.toLowerCase(),
      });
      expect(mail.text).toContain('Máy chủ kế toán');
      expect(mail.attachments.map((a) => [a.filename, a.contentType, a.content.length])).toEqual([
        ['nhat-ky.txt', 'text/plain', 9],
        ['pass_wd', 'application/octet-stream', 3],
      ]);
      expect(await auditActions(row.id)).toEqual(['mail.receive']);
    });

    it('hands over at most 10 attachments of at most 5 MB; lists the others as skipped', async () => {
      const unit = await make.organization('unit');
      const officer = await make.user(unit, ['unit_officer']);
      await sendMail(intakePort, {
        from: officer.email,
        to: MAILBOX,
        subject: 'Many files',
        text: 'see attached',
        attachments: [
          { filename: 'big.bin', content: Buffer.alloc(5 * 1024 * 1024 + 1, 1) },
          ...Array.from({ length: 11 }, (_, i) => ({ filename: `f${i}.txt`, content: `${i}` })),
        ],
      });
      const [row] = await inboxOf(officer.email);
      expect(row.status).toBe('accepted');
      const mail = filed.at(-1)!;
      expect(mail.attachments.map((a) => a.filename)).toEqual(
        Array.from({ length: 10 }, (_, i) => `f${i}.txt`),
      );
      expect(row.attachments).toHaveLength(12);
      expect(row.attachments[0]).toMatchObject({
        filename: 'big.bin',
        skipped: 'larger than 5242880 bytes',
      });
      expect(row.attachments[11]).toMatchObject({
        filename: 'f10.txt',
        skipped: 'more than 10 attachments',
      });
    });

    it('quarantines an unknown sender’s mail; a responder releases it into an incident report', async () => {
      const sender = `stranger-${randomUUID()}@gmail.example`;
      const before = filed.length;
      await sendMail(intakePort, {
        from: sender,
        to: MAILBOX,
        subject: 'Phát hiện website giả mạo',
        text: 'Trang web giả mạo cổng dịch vụ công.',
        attachments: [
          { filename: 'anh.png', content: Buffer.from('png'), contentType: 'image/png' },
        ],
      });
      const [row] = await inboxOf(sender);
      expect(row).toMatchObject({
        status: 'quarantined',
        reason: 'unknown sender',
        incident_id: null,
      });
      expect(filed).toHaveLength(before);

      const responder = await make.loginAs('responder');
      const auth = `Bearer ${responder.token}`;
      const list = await request(t.server)
        .get('/api/v1/mail/inbox?status=quarantined')
        .set('authorization', auth)
        .expect(status(200));
      expect(list.body.items.map((i: { id: string }) => i.id)).toContain(row.id);
      const one = await request(t.server)
        .get(`/api/v1/mail/inbox/${row.id}`)
        .set('authorization', auth)
        .expect(status(200));
      expect(one.body).toMatchObject({
        fromAddress: sender,
        status: 'quarantined',
        subject: 'Phát hiện website giả mạo',
        attachments: [{ filename: 'anh.png', contentType: 'image/png', size: 3, skipped: null }],
      });
      expect(one.body.body).toContain('Trang web giả mạo');
      expect(one.body.raw).toBeUndefined();

      await request(t.server)
        .post(`/api/v1/mail/inbox/${row.id}/release`)
        .set('authorization', auth)
        .send({ organizationId: randomUUID() })
        .expect(status(422));
      const unit = await make.organization('unit');
      const released = await request(t.server)
        .post(`/api/v1/mail/inbox/${row.id}/release`)
        .set('authorization', auth)
        .send({ organizationId: unit.id })
        .expect(status(200));
      const mail = filed.at(-1)!;
      expect(filed).toHaveLength(before + 1);
      expect(mail).toMatchObject({
        inboxId: row.id,
        organizationId: unit.id,
        userId: null,
        // An unverified sender is not the organization's: notices go to the organization.
        fromAddress: '',
        subject: 'Phát hiện website giả mạo',
      });
      expect(mail.attachments.map((a) => a.filename)).toEqual(['anh.png']);
      expect(released.body).toMatchObject({
        status: 'released',
        organizationId: unit.id,
        incidentId: mail.incidentId,
        reviewedBy: responder.user.id,
      });
      await request(t.server)
        .post(`/api/v1/mail/inbox/${row.id}/release`)
        .set('authorization', auth)
        .send({ organizationId: unit.id })
        .expect(status(409));
      expect(filed).toHaveLength(before + 1);
      expect(await auditActions(row.id)).toEqual(['mail.receive', 'mail.release']);
    });

    it('a responder rejects a quarantined mail, once', async () => {
      const sender = `spam-${randomUUID()}@spam.example`;
      await sendMail(intakePort, { from: sender, to: MAILBOX, subject: 'Buy now', text: 'spam' });
      const [row] = await inboxOf(sender);
      const responder = await make.loginAs('responder');
      const rejected = await request(t.server)
        .post(`/api/v1/mail/inbox/${row.id}/reject`)
        .set('authorization', `Bearer ${responder.token}`)
        .send({ reason: 'Spam' })
        .expect(status(200));
      expect(rejected.body).toMatchObject({
        status: 'rejected',
        reason: 'unknown sender | rejected: Spam',
      });
      await request(t.server)
        .post(`/api/v1/mail/inbox/${row.id}/reject`)
        .set('authorization', `Bearer ${responder.token}`)
        .send({ reason: 'Spam' })
        .expect(status(409));
      const admin = await make.loginAs('admin');
      await request(t.server)
        .post(`/api/v1/mail/inbox/${row.id}/release`)
        .set('authorization', `Bearer ${admin.token}`)
        .send({ organizationId: randomUUID() })
        .expect(status(403));
      expect(await auditActions(row.id)).toEqual(['mail.receive', 'mail.reject']);
    });

    it('quarantines a mail whose From header is not the envelope sender', async () => {
      const unit = await make.organization('unit');
      const officer = await make.user(unit, ['unit_officer']);
      await sendMail(intakePort, {
        from: 'director@province.example',
        envelopeFrom: officer.email,
        to: MAILBOX,
        subject: 'Spoofed',
        text: 'x',
      });
      const [row] = await inboxOf(officer.email);
      expect(row.status).toBe('quarantined');
      expect(row.reason).toBe(
        `the From header (director@province.example) is not the envelope sender (${officer.email.toLowerCase()})`,
      );
    });

    it('quarantines an automatic reply (no report, no notice, no mail loop)', async () => {
      const unit = await make.organization('unit');
      const officer = await make.user(unit, ['unit_officer']);
      await sendMail(intakePort, {
        from: officer.email,
        to: MAILBOX,
        subject: 'Out of office: [Sự cố] INC-2026-000001',
        text: 'I am away until Monday.',
        headers: { 'Auto-Submitted': 'auto-replied' },
      });
      const [row] = await inboxOf(officer.email);
      expect(row).toMatchObject({
        status: 'quarantined',
        reason: 'an automatic message (Auto-Submitted, Precedence or X-Autoreply)',
        incident_id: null,
      });
    });

    it('quarantines, and answers 250, when the incident intake fails', async () => {
      const unit = await make.organization('unit');
      const officer = await make.user(unit, ['unit_officer']);
      await sendMail(intakePort, {
        from: officer.email,
        to: MAILBOX,
        subject: 'explode',
        text: 'x',
      });
      const [row] = await inboxOf(officer.email);
      expect(row).toMatchObject({
        status: 'quarantined',
        reason: 'the incident intake failed: the intake exploded',
        organization_id: unit.id,
        incident_id: null,
      });
    });

    it('refuses other recipients (550) and stores nothing', async () => {
      const sender = `x-${randomUUID()}@xa.example`;
      expect(
        await smtpCode(
          sendMail(intakePort, { from: sender, to: 'admin@soc.example', subject: 's', text: 't' }),
        ),
      ).toBe(550);
      expect(await inboxOf(sender)).toEqual([]);
    });

    it('refuses a mail over MAIL_INTAKE_MAX_BYTES (552) and stores nothing', async () => {
      const sender = `big-${randomUUID()}@xa.example`;
      expect(
        await smtpCode(
          sendMail(intakePort, {
            from: sender,
            to: MAILBOX,
            subject: 'too big',
            text: 'a'.repeat(MAX_BYTES + 1000),
          }),
        ),
      ).toBe(552);
      expect(await inboxOf(sender)).toEqual([]);
    });

    it('answers 451 (the sending server retries) when the mail cannot be stored', async () => {
      const sender = `later-${randomUUID()}@xa.example`;
      const insert = jest
        .spyOn(t.app.get(MailInboxRepository), 'insert')
        .mockRejectedValueOnce(
          Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
        );
      try {
        expect(
          await smtpCode(
            sendMail(intakePort, { from: sender, to: MAILBOX, subject: 's', text: 't' }),
          ),
        ).toBe(451);
        expect(await inboxOf(sender)).toEqual([]);
      } finally {
        insert.mockRestore();
      }
      // The retry passes.
      await sendMail(intakePort, { from: sender, to: MAILBOX, subject: 's', text: 't' });
      expect(await inboxOf(sender)).toHaveLength(1);
    });

    it('files a resend of the same Message-ID once', async () => {
      const sender = `dup-${randomUUID()}@xa.example`;
      const messageId = `<${randomUUID()}@xa.example>`;
      for (let i = 0; i < 2; i++) {
        await sendMail(intakePort, {
          from: sender,
          to: MAILBOX,
          subject: 'Twice',
          text: 'x',
          messageId,
        });
      }
      expect(await inboxOf(sender)).toHaveLength(1);
    });

    it('answers 451 to a sender past MAIL_INTAKE_PER_SENDER_PER_HOUR, until an hour has passed', async () => {
      const sender = `busy-${randomUUID()}@xa.example`;
      const send = (i: number) =>
        sendMail(intakePort, { from: sender, to: MAILBOX, subject: `n${i}`, text: 'x' });
      for (let i = 0; i < PER_SENDER; i++) await send(i);
      expect(await smtpCode(send(PER_SENDER))).toBe(451);
      expect(await inboxOf(sender)).toHaveLength(PER_SENDER);
      clock.advance(HOUR + 1000);
      await send(PER_SENDER + 1);
      expect(await inboxOf(sender)).toHaveLength(PER_SENDER + 1);
    });
  });
});
