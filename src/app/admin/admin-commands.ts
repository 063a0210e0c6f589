import { parseArgs, type ParseArgsConfig } from 'node:util';

type ParseArgsOptionsConfig = NonNullable<ParseArgsConfig['options']>;
import {
  type Role,
  PERSON_ROLES,
  type AddPersonRequest,
  type OnboardIspRequest,
} from '#src/identity/index.js';

/**
 * The administration commands of `threat-exchange` (docs/onboarding.md): their usage, and their
 * arguments read into the requests of the OnboardingService. Pure: no database, no
 * application; admin-cli.ts runs them.
 */

/** The commands bin/threat-exchange.js hands to admin-cli.ts. */
export type AdminCommand = 'org:add-isp' | 'user:add';

/** A command used wrongly: printed with a hint, exit status 2. */
export class UsageError extends Error {}

const COMMON = `They run next to the service, with its environment (DATABASE_URL, KEY_ENCRYPTION_KEY, or
a .env file in the working directory; without DATABASE_URL the embedded database of ./data, the
running service's if it is up). Changes go through the service's own rules and are recorded in
the audit trail as the system's, "via": "command-line".

Exit status: 0 done; 1 refused (a short code or e-mail in use, a role that does not fit, an
unknown organization; the reason on stderr) or the database unreachable; 2 usage error.`;

export const USAGE: Record<AdminCommand, string> = {
  'org:add-isp': `usage: threat-exchange org:add-isp --short-code <CODE> --name <name> [options]

Creates an ISP: its organization, optionally its first operator (a person with the role
isp_operator), and an API client for its systems, all in one transaction (all or nothing).
Prints the client's secret, and a generated password, once: they are stored only as hashes.
A generated password is temporary: the operator's first login asks for a new one.

  --short-code <CODE>         unique: 2–32 letters, digits or dashes (kept in upper case)
  --name <name>               the ISP's name, 2–200 characters
  --contact-email <e-mail>    incident-report mailbox (optional)
  --contact-phone <number>    office telephone (optional)
  --contact-hotline <number>  incident-response hotline (optional)
  --operator-email <e-mail>   creates the first operator, who logs in with this e-mail
  --operator-name <name>      their name (required with --operator-email)
  --password-stdin            read the operator's password (12+ characters) from the first
                              line of standard input; without it one is generated and printed
  --client-name <name>        the API client's name (default: "<CODE> feed puller")
  --json                      print one JSON object: organization, operator, client
  -h, --help                  this help

${COMMON}`,
  'user:add': `usage: threat-exchange user:add --org <CODE> --email <e-mail> --name <name> --role <role>... [options]

Creates a person in an existing organization, with roles that must fit its kind:
  Department: admin, analyst, approver;  ISP: isp_operator;  authority: auditor.
Prints a generated password once (it is stored only as a hash); it is temporary: the
person's first login asks for a new one.

  --org <CODE>                the organization's short code
  --email <e-mail>            what the person logs in with; nobody else's
  --name <name>               their name, 1–200 characters
  --role <role>               a role; repeat it, or separate roles with commas
  --password-stdin            read the password (12+ characters) from the first line of
                              standard input; without it one is generated and printed
  --json                      print one JSON object: organization, user
  -h, --help                  this help

${COMMON}`,
};

export const ISP_OPTIONS = {
  'short-code': { type: 'string' },
  name: { type: 'string' },
  'contact-email': { type: 'string' },
  'contact-phone': { type: 'string' },
  'contact-hotline': { type: 'string' },
  'operator-email': { type: 'string' },
  'operator-name': { type: 'string' },
  'password-stdin': { type: 'boolean' },
  'client-name': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsOptionsConfig;

export const USER_OPTIONS = {
  org: { type: 'string' },
  email: { type: 'string' },
  name: { type: 'string' },
  role: { type: 'string', multiple: true },
  'password-stdin': { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsOptionsConfig;

/** Which flag gave each field of a request: validation messages name the flag. */
export const FLAG_OF: Record<AdminCommand, Record<string, string>> = {
  'org:add-isp': {
    'organization.shortCode': '--short-code',
    'organization.name': '--name',
    'organization.contacts.email': '--contact-email',
    'organization.contacts.phone': '--contact-phone',
    'organization.contacts.hotline': '--contact-hotline',
    'operator.email': '--operator-email',
    'operator.name': '--operator-name',
    'operator.password': '--password-stdin',
    clientName: '--client-name',
  },
  'user:add': {
    organization: '--org',
    email: '--email',
    name: '--name',
    roles: '--role',
    password: '--password-stdin',
  },
};

export interface ParsedCommand<R> {
  /** The request, before validation; `password` still to be read when `passwordStdin`. */
  request: R;
  json: boolean;
  passwordStdin: boolean;
  help: boolean;
}

/** Node's parser, strict (an unknown flag, a missing value, a stray argument are refused). */
function parse<O extends ParseArgsOptionsConfig>(options: O, args: string[]) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

function required(value: string | undefined, flag: string): string {
  if (value === undefined) throw new UsageError(`${flag} is required`);
  return value;
}

export function parseAddIsp(args: string[]): ParsedCommand<OnboardIspRequest> {
  const { values } = parse(ISP_OPTIONS, args);
  if (values.help)
    return { request: {} as OnboardIspRequest, json: false, passwordStdin: false, help: true };
  const shortCode = required(values['short-code'], '--short-code');
  const name = required(values.name, '--name');
  const contacts = {
    ...(values['contact-email'] === undefined ? {} : { email: values['contact-email'] }),
    ...(values['contact-phone'] === undefined ? {} : { phone: values['contact-phone'] }),
    ...(values['contact-hotline'] === undefined ? {} : { hotline: values['contact-hotline'] }),
  };
  const operatorEmail = values['operator-email'];
  const operatorName = values['operator-name'];
  if (operatorEmail === undefined && operatorName !== undefined) {
    throw new UsageError('--operator-name needs --operator-email');
  }
  if (operatorEmail === undefined && values['password-stdin']) {
    throw new UsageError(
      "--password-stdin sets the operator's password: it needs --operator-email",
    );
  }
  const request: OnboardIspRequest = {
    organization: { shortCode, name, contacts },
    ...(operatorEmail === undefined
      ? {}
      : { operator: { email: operatorEmail, name: required(operatorName, '--operator-name') } }),
    clientName: values['client-name'] ?? `${shortCode.toUpperCase()} feed puller`,
  };
  return {
    request,
    json: values.json ?? false,
    passwordStdin: values['password-stdin'] ?? false,
    help: false,
  };
}

export function parseAddUser(args: string[]): ParsedCommand<AddPersonRequest> {
  const { values } = parse(USER_OPTIONS, args);
  if (values.help)
    return { request: {} as AddPersonRequest, json: false, passwordStdin: false, help: true };
  const roles = [
    ...new Set((values.role ?? []).flatMap((r) => r.split(',')).map((r) => r.trim())),
  ].filter(Boolean);
  if (roles.length === 0) throw new UsageError(`--role is required (one of ${personRoles()})`);
  const unknown = roles.filter((r) => !(PERSON_ROLES as readonly string[]).includes(r));
  if (unknown.length > 0) {
    throw new UsageError(`--role ${unknown.join(', ')}: not a role of a person (${personRoles()})`);
  }
  return {
    request: {
      organization: required(values.org, '--org'),
      email: required(values.email, '--email'),
      name: required(values.name, '--name'),
      roles: roles as Role[],
    },
    json: values.json ?? false,
    passwordStdin: values['password-stdin'] ?? false,
    help: false,
  };
}

function personRoles(): string {
  return PERSON_ROLES.join(', ');
}
