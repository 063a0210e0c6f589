import { describe, expect, it } from '@jest/globals';
import { readSection } from '#src/platform/config/index.js';
import { MessagingConfig, messagingConfigProblems } from '#src/messaging/messaging.config.js';
import { dmarcPassedBy, parseMail, sanitizeFilename } from '#src/messaging/mail/mail-content.js';

const crlf = (lines: string[]): Buffer => Buffer.from(lines.join('\r\n'), 'utf8');

describe('sanitizeFilename', () => {
  it.each([
    ['report.pdf', 'report.pdf'],
    ['../../etc/passwd', 'passwd'],
    ['C:\\Users\\x\\evil.exe', 'evil.exe'],
    ['a\u0000b\u0007c<d>.txt', 'a_b_c_d_.txt'],
    ['invoice\u202Efdp.exe', 'invoice_fdp.exe'],
    ['  ..hidden. ', 'hidden'],
    ['', 'attachment-3'],
    ['///', 'attachment-3'],
    [undefined, 'attachment-3'],
  ])('%j → %j', (name, expected) => {
    expect(sanitizeFilename(name, 2)).toBe(expected);
  });

  it('cuts long names to 200 characters, keeping the extension', () => {
    const name = sanitizeFilename(`${'x'.repeat(500)}.docx`, 0);
    expect(name).toHaveLength(200);
    expect(name.endsWith('.docx')).toBe(true);
  });
});

describe('parseMail', () => {
  it('reads the headers, the text and the attachments, bounded', async () => {
    const content = await parseMail(
      crlf([
        'From: "Nguyễn Văn A" <A.Nguyen@Xa.example>',
        'To: su-co@soc.example',
        'Cc: Team: b@xa.example, c@xa.example;',
        'Subject: =?UTF-8?B?QsOhbyBjw6FvIHPhu7EgY+G7kQ==?=',
        'Message-ID: <m1@xa.example>',
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="b"',
        '',
        '--b',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'Nội dung\u0000 báo cáo',
        '--b',
        'Content-Type: application/x-evil',
        'Content-Disposition: attachment; filename="../x.bin"',
        'Content-Transfer-Encoding: base64',
        '',
        Buffer.from('abc').toString('base64'),
        '--b--',
        '',
      ]),
    );
    expect(content).toMatchObject({
      messageId: '<m1@xa.example>',
      fromAddresses: ['a.nguyen@xa.example'],
      to: ['su-co@soc.example', 'b@xa.example', 'c@xa.example'],
      subject: 'Báo cáo sự cố',
      attachmentList: [{ filename: 'x.bin', contentType: 'application/x-evil', size: 3 }],
    });
    expect(content.text.trim()).toBe('Nội dung\uFFFD báo cáo');
    expect(content.attachments[0].content.toString()).toBe('abc');
  });

  it('refuses a mail of too many MIME parts', async () => {
    const parts = Array.from({ length: 300 }, (_, i) => [
      '--b',
      'Content-Type: text/plain',
      '',
      `part ${i}`,
    ]).flat();
    await expect(
      parseMail(
        crlf([
          'From: a@xa.example',
          'Content-Type: multipart/mixed; boundary="b"',
          '',
          ...parts,
          '--b--',
          '',
        ]),
      ),
    ).rejects.toThrow();
  });
});

describe('MessagingConfig: e-mail', () => {
  const read = (env: Record<string, string>) => readSection(MessagingConfig, env);

  it('has bounded defaults, and the intake off', () => {
    const { config, problems } = read({});
    expect(problems).toEqual([]);
    expect(config).toMatchObject({
      SMTP_URL: undefined,
      SMTP_TIMEOUT_MS: 10000,
      MAIL_FROM: 'threat-exchange@localhost',
      MAIL_BATCH_SIZE: 20,
      MAIL_MAX_ATTEMPTS: 8,
      MAIL_RETRY_BASE_MS: 60000,
      MAIL_INTAKE_PORT: 0,
      MAIL_INTAKE_HOST: '127.0.0.1',
      MAIL_INTAKE_MAX_BYTES: 10485760,
      MAIL_INTAKE_MAX_CLIENTS: 20,
      MAIL_INTAKE_PER_SENDER_PER_HOUR: 30,
      MAIL_INTAKE_SOCKET_TIMEOUT_MS: 60000,
    });
  });

  it('needs the mailbox address when the intake port is set', () => {
    const { config } = read({ MAIL_INTAKE_PORT: '2525' });
    expect(messagingConfigProblems(config, { NODE_ENV: 'development' })).toEqual([
      'MAIL_INTAKE_ADDRESS (the incident mailbox) is required when MAIL_INTAKE_PORT is set',
    ]);
    const ok = read({ MAIL_INTAKE_PORT: '2525', MAIL_INTAKE_ADDRESS: 'su-co@soc.example' });
    expect(messagingConfigProblems(ok.config, { NODE_ENV: 'development' })).toEqual([]);
  });

  it('refuses a wrong SMTP_URL without repeating it (it may hold a password)', () => {
    const { problems } = read({ SMTP_URL: 'http://user:hunter2@mail.example' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^SMTP_URL must be smtp:/);
    expect(problems[0]).not.toContain('hunter2');
    expect(read({ SMTP_URL: 'smtps://u:p%40ss@mail.example:465' }).problems).toEqual([]);
  });

  it('bounds the numbers', () => {
    expect(
      read({ MAIL_INTAKE_MAX_BYTES: '0', MAIL_BATCH_SIZE: '100000', MAIL_INTAKE_PORT: '70000' })
        .problems,
    ).toHaveLength(3);
  });
});

describe('dmarcPassedBy (RFC 8601 Authentication-Results)', () => {
  it('trusts only the gateway’s own header saying dmarc=pass', () => {
    const gateway = 'mx.dic.example';
    expect(
      dmarcPassedBy(
        ['mx.dic.example; spf=pass smtp.mailfrom=isp-a.vn; dmarc=pass header.from=isp-a.vn'],
        gateway,
      ),
    ).toBe(true);
    expect(dmarcPassedBy(['MX.DIC.EXAMPLE 1; dkim=pass; dmarc=pass (p=reject)'], gateway)).toBe(
      true,
    );
    expect(dmarcPassedBy(['mx.dic.example; dmarc=fail header.from=isp-a.vn'], gateway)).toBe(false);
    expect(dmarcPassedBy(['mx.attacker.example; dmarc=pass'], gateway)).toBe(false);
    expect(dmarcPassedBy(['mx.dic.example; spf=pass; dkim=pass'], gateway)).toBe(false);
    expect(dmarcPassedBy([], gateway)).toBe(false);
  });
});
