import http from 'node:http';
import { Readable } from 'node:stream';

export interface Answer<T> {
  status: number;
  /** The parsed JSON body; undefined when the answer is not JSON or empty. */
  body: T;
  text: string;
  headers: Headers;
}

/** The benchmarks' client of the service's HTTP API: one per service under test. */
export class ApiClient {
  /** HTTP requests sent (a benchmark phase counts its own). */
  requests = 0;

  /** `password`: the one password of the benchmark's accounts (login, user). */
  constructor(
    readonly base: string,
    private readonly password: string,
  ) {}

  async call<T>(
    method: string,
    route: string,
    token: string | undefined,
    body?: string | object,
    contentType = 'application/json',
  ): Promise<Answer<T>> {
    this.requests++;
    const res = await fetch(`${this.base}${route}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': contentType }),
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    const json = res.headers.get('content-type')?.includes('json') && text !== '';
    return {
      status: res.status,
      body: (json ? JSON.parse(text) : undefined) as T,
      text,
      headers: res.headers,
    };
  }

  /** The body of an answer with `status`; any other status throws with the answer's text. */
  async expect<T>(
    status: number,
    method: string,
    route: string,
    token: string | undefined,
    body?: string | object,
    contentType?: string,
  ): Promise<T> {
    const res = await this.call<T>(method, route, token, body, contentType);
    if (res.status !== status) {
      throw new Error(`${method} ${route} answered ${res.status}, not ${status}: ${res.text}`);
    }
    return res.body;
  }

  async login(email: string, password = this.password): Promise<string> {
    return (
      await this.expect<{ access_token: string }>(200, 'POST', '/api/v1/auth/login', undefined, {
        email,
        password,
      })
    ).access_token;
  }

  /** A user in `organizationId` with `roles`, logged in. */
  async user(admin: string, organizationId: string, email: string, roles: string[]) {
    await this.expect(201, 'POST', '/api/v1/users', admin, {
      organizationId,
      email,
      name: email.split('@')[0],
      roles,
      password: this.password,
    });
    return this.login(email);
  }

  /**
   * The benchmark's people and ISPs, through the API as the administrator `adminEmail`
   * (`departmentId`: the Department, which the administrator belongs to). `run` makes the
   * e-mails and short codes unique.
   */
  async accounts(adminEmail: string, departmentId: string, run: string) {
    const admin = await this.login(adminEmail);
    /** A Department user with one role, logged in. */
    const user = async (role: string): Promise<{ token: string; id: string }> => {
      const email = `bench-${role}-${run}@department.example`;
      const created = await this.expect<{ id: string }>(201, 'POST', '/api/v1/users', admin, {
        organizationId: departmentId,
        email,
        name: `Bench ${role}`,
        roles: [role],
        password: this.password,
      });
      return { token: await this.login(email), id: created.id };
    };
    /** An ISP and an API client of its (`label`: unique within the run). */
    const isp = async (label: string) => {
      const organization = await this.expect<{ id: string }>(
        201,
        'POST',
        '/api/v1/organizations',
        admin,
        {
          kind: 'isp',
          name: `Bench ISP ${run} ${label}`,
          shortCode: `B${run}-${label}`.toUpperCase(),
        },
      );
      const client = await this.expect<{ clientId: string; clientSecret: string }>(
        201,
        'POST',
        '/api/v1/api-clients',
        admin,
        { organizationId: organization.id, name: `Bench ${label}` },
      );
      return { id: organization.id, client };
    };
    return { admin, user, isp };
  }

  /** An API client's token (client credentials). */
  async clientToken(clientId: string, secret: string): Promise<string> {
    this.requests++;
    const res = await fetch(`${this.base}/api/v1/auth/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`client credentials answered ${res.status}: ${text}`);
    return (JSON.parse(text) as { access_token: string }).access_token;
  }

  /** Draft → items → submitted → approved (published); the request's id. */
  async publish(
    staff: { analyst: string; approver: string },
    ispId: string,
    documentNumber: string,
    values: string[],
  ): Promise<string> {
    const { id } = await this.expect<{ id: string }>(
      201,
      'POST',
      '/api/v1/blocking-requests',
      staff.analyst,
      {
        documentNumber,
        title: 'Benchmark request',
        legalBasis: 'Decree 53/2022/ND-CP, Article 21',
        category: 'botnet',
        severity: 'high',
        targetsAll: false,
        targetOrganizationIds: [ispId],
      },
    );
    const route = `/api/v1/blocking-requests/${id}`;
    const version = async (): Promise<number> =>
      (await this.expect<{ version: number }>(200, 'GET', route, staff.analyst)).version;
    await this.expect(201, 'POST', `${route}/items`, staff.analyst, { values });
    await this.expect(200, 'POST', `${route}/submit`, staff.analyst, { version: await version() });
    const published = await this.expect<{ status: string }>(
      200,
      'POST',
      `${route}/approve`,
      staff.approver,
      { version: await version() },
    );
    if (published.status !== 'published') throw new Error(`request ${id} is ${published.status}`);
    return id;
  }

  /** POST with a streamed body of known length (node:http: fetch would buffer it); the answer. */
  upload(route: string, token: string, contentType: string, chunks: Buffer[]) {
    this.requests++;
    const length = chunks.reduce((n, c) => n + c.length, 0);
    return new Promise<{ status: number; body: unknown }>((resolve, reject) => {
      const req = http.request(
        `${this.base}${route}`,
        {
          method: 'POST',
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': contentType,
            'content-length': String(length),
          },
        },
        (res) => {
          const parts: Buffer[] = [];
          res.on('data', (c: Buffer) => parts.push(c));
          res.on('error', reject);
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              body: JSON.parse(Buffer.concat(parts).toString('utf8')) as unknown,
            }),
          );
        },
      );
      req.on('error', reject);
      Readable.from(chunks).pipe(req);
    });
  }
}
