import { describe, expect, it } from '@jest/globals';
import {
  indicatorsInText,
  refang,
  severityFromSubject,
} from '#src/response/incidents/mail-report.js';

describe('mailed incident reports', () => {
  it('reads the severity from a tag in the subject, the most severe winning', () => {
    expect(severityFromSubject('Web server defaced')).toBe('medium');
    expect(severityFromSubject('[KHẨN CẤP] Mã độc')).toBe('critical');
    expect(severityFromSubject('[khan cap] ma doc')).toBe('critical');
    expect(severityFromSubject('Re: [Critical] ransomware')).toBe('critical');
    expect(severityFromSubject('[cao] lừa đảo')).toBe('high');
    expect(severityFromSubject('[low] [high] spam')).toBe('high');
    expect(severityFromSubject('[thấp] spam')).toBe('low');
    expect(severityFromSubject('critical without brackets')).toBe('medium');
  });

  it('refangs the usual defanged forms', () => {
    expect(refang('hxxps://evil[.]example(.)com/a hxxp[:]//x[dot]net')).toBe(
      'https://evil.example.com/a http://x.net',
    );
  });

  it('takes refanged domains, addresses and URLs, not the mailbox’s or sender’s domains', () => {
    const text = [
      'Chúng tôi thấy kết nối tới c2-server[.]xyz và 198.51.100[.]7,',
      'cả hxxp://phish.example(.)net/login?x=1 và (2001:db8::1).',
      'Sender: soc@isp.example.com, portal.isp.example.com, mail.department.example.',
      'Bad ones: 999.1.1.1 not-a-domain localhost file.txt logs.zip',
      'Again: C2-SERVER.XYZ.',
    ].join('\n');
    expect(indicatorsInText(text, ['department.example', 'isp.example.com'], ['logs.zip'])).toEqual(
      [
        { type: 'domain', value: 'c2-server.xyz' },
        { type: 'ipv4', value: '198.51.100.7' },
        { type: 'url', value: 'http://phish.example.net/login?x=1' },
        { type: 'ipv6', value: '2001:db8::1' },
      ],
    );
  });

  it('considers at most 200 candidate tokens', () => {
    const many = Array.from({ length: 250 }, (_, i) => `host${i}.example.org`).join(' ');
    expect(indicatorsInText(many, [])).toHaveLength(100);
    const late = `${Array.from({ length: 200 }, () => 'x.y').join(' ')} late.example.org`;
    expect(indicatorsInText(late, [])).toEqual([]);
  });
});
