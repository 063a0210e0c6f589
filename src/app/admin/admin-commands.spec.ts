import { describe, expect, it } from '@jest/globals';
import {
  FLAG_OF,
  ISP_OPTIONS,
  parseAddIsp,
  parseAddUser,
  USAGE,
  USER_OPTIONS,
  UsageError,
} from '#src/app/admin/admin-commands.js';

const refusal = (parse: () => unknown): string => {
  try {
    parse();
  } catch (error) {
    if (error instanceof UsageError) return error.message;
    throw error;
  }
  throw new Error('accepted');
};

describe('threat-exchange org:add-isp and user:add arguments', () => {
  it('--help documents every flag of each command, and validation names only real flags', () => {
    for (const [command, options] of [
      ['org:add-isp', ISP_OPTIONS],
      ['user:add', USER_OPTIONS],
    ] as const) {
      for (const flag of Object.keys(options)) expect(USAGE[command]).toContain(`--${flag}`);
      for (const flag of Object.values(FLAG_OF[command]))
        expect(Object.keys(options)).toContain(flag.slice(2));
    }
  });

  it('reads an ISP with its operator, contacts and a default client name', () => {
    const parsed = parseAddIsp([
      '--short-code',
      'vnpt-th',
      '--name',
      'VNPT Thanh Hóa',
      '--contact-email',
      'csirt@vnpt.example',
      '--operator-email',
      'noc@vnpt.example',
      '--operator-name',
      'Nguyễn Văn An',
      '--password-stdin',
      '--json',
    ]);
    expect(parsed).toEqual({
      request: {
        organization: {
          shortCode: 'vnpt-th',
          name: 'VNPT Thanh Hóa',
          contacts: { email: 'csirt@vnpt.example' },
        },
        operator: { email: 'noc@vnpt.example', name: 'Nguyễn Văn An' },
        clientName: 'VNPT-TH feed puller',
      },
      json: true,
      passwordStdin: true,
      help: false,
    });
    expect(parseAddIsp(['--short-code', 'AB', '--name', 'An ISP']).request.operator).toBe(
      undefined,
    );
  });

  it('refuses missing, unknown and contradictory flags', () => {
    expect(refusal(() => parseAddIsp(['--name', 'x']))).toBe('--short-code is required');
    expect(refusal(() => parseAddIsp(['--short-code', 'AB', '--name', 'x', '--bogus']))).toMatch(
      /Unknown option '--bogus'/,
    );
    expect(refusal(() => parseAddIsp(['--short-code', 'AB', '--name', 'x', 'stray']))).toMatch(
      /stray/,
    );
    expect(
      refusal(() => parseAddIsp(['--short-code', 'AB', '--name', 'x', '--operator-name', 'y'])),
    ).toBe('--operator-name needs --operator-email');
    expect(
      refusal(() =>
        parseAddIsp(['--short-code', 'AB', '--name', 'x', '--operator-email', 'a@b.c']),
      ),
    ).toBe('--operator-name is required');
    expect(
      refusal(() => parseAddIsp(['--short-code', 'AB', '--name', 'x', '--password-stdin'])),
    ).toMatch(/needs --operator-email/);
  });

  it('reads a person with repeated or comma-separated roles, and refuses roles no person holds', () => {
    const base = ['--org', 'dic', '--email', 'a@dic.example', '--name', 'An'];
    expect(
      parseAddUser([...base, '--role', 'analyst,approver', '--role', 'analyst']).request,
    ).toEqual({
      organization: 'dic',
      email: 'a@dic.example',
      name: 'An',
      roles: ['analyst', 'approver'],
    });
    expect(refusal(() => parseAddUser(base))).toMatch(/^--role is required/);
    expect(refusal(() => parseAddUser([...base, '--role', 'isp_client']))).toMatch(
      /^--role isp_client: not a role of a person/,
    );
  });
});
