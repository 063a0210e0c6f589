import fc from 'fast-check';

/**
 * Requests generated from the committed OpenAPI document: a valid request for an operation
 * (from its parameters' and body's schemas), then up to four mutations of it (hostile values,
 * repeated and unknown parameters, missing and unknown fields, malformed JSON, wrong content
 * types, conditional and Idempotency-Key headers). Everything is a fast-check arbitrary, so a
 * failure shrinks to the fewest mutations and the simplest values that still fail.
 */

export interface JsonSchema {
  $ref?: string;
  type?: string;
  enum?: unknown[];
  format?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  allOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  example?: unknown;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, RawOperation>>;
  components: { schemas: Record<string, JsonSchema> };
}

interface RawOperation {
  parameters?: { name: string; in: string; required?: boolean; schema?: JsonSchema }[];
  requestBody?: { required?: boolean; content: Record<string, { schema?: JsonSchema }> };
}

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  schema: JsonSchema;
}

export interface Operation {
  /** "GET /api/v1/feed/changes": the test's name. */
  id: string;
  method: string;
  /** The OpenAPI path template, `{name}` for path parameters. */
  template: string;
  parameters: Parameter[];
  body?: { required: boolean; contentTypes: string[]; schema?: JsonSchema };
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

export function operationsOf(doc: OpenApiDocument): Operation[] {
  const ops: Operation[] = [];
  for (const [template, item] of Object.entries(doc.paths)) {
    for (const [method, raw] of Object.entries(item)) {
      if (!METHODS.includes(method)) continue;
      const content = raw.requestBody?.content ?? {};
      const contentTypes = Object.keys(content);
      ops.push({
        id: `${method.toUpperCase()} ${template}`,
        method: method.toUpperCase(),
        template,
        parameters: (raw.parameters ?? []).map((p) => ({
          name: p.name,
          in: p.in as Parameter['in'],
          required: p.required ?? p.in === 'path',
          schema: p.schema ?? { type: 'string' },
        })),
        body: raw.requestBody
          ? {
              required: raw.requestBody.required ?? false,
              contentTypes,
              schema: contentTypes[0] ? content[contentTypes[0]]?.schema : undefined,
            }
          : undefined,
      });
    }
  }
  return ops;
}

/** A request as sent: `path` and `query` hold raw strings, encoded by `target()`. */
export interface FuzzRequest {
  credential: string;
  method: string;
  /** Path segments; a parameter's value is encoded as one segment. */
  segments: PathPart[];
  query: [string, string][];
  /** Appended to the query string as is (already "encoded", possibly wrongly). */
  rawQuery?: string;
  headers: Record<string, string>;
  body?: Body;
}

export type PathPart = { literal: string } | { param: string; value: string };
export type Body =
  | { kind: 'json'; contentType: string; value: unknown }
  | { kind: 'text'; contentType: string; text: string }
  | { kind: 'bytes'; contentType: string; base64: string };

/** Ids known to the run, by kind ("organizations", "webhooks", "indicators"…), every tenant's. */
export type IdPool = Record<string, string[]>;

export interface GeneratorContext {
  doc: OpenApiDocument;
  credentials: string[];
  /** The credentials the access matrix lets call `op` (most generated requests use one). */
  allowed: (op: Operation) => string[];
  ids: IdPool;
  /** Known refresh tokens, client ids/secrets, emails, ETags: realistic values for fields. */
  secrets: Record<string, string[]>;
}

// ---------------------------------------------------------------------------------------------
// Hostile values

const LONG = 100_000;
/** Strings that break parsers, casts and databases. */
export const HOSTILE_STRINGS: string[] = [
  '',
  ' ',
  'a'.repeat(LONG),
  '\u0000',
  'a\u0000b',
  '\uD800',
  'x\uDC00y',
  '\uD83D\uDE00',
  '1e300',
  '1e+300',
  '-1e300',
  '1e-300',
  '-1',
  '-0',
  '0',
  '9007199254740993',
  '999999999999999',
  '99999999999999999999999999',
  '2147483648',
  'NaN',
  'Infinity',
  '0x1F',
  '1.5',
  ' 7 ',
  'true',
  'null',
  '[]',
  '{}',
  '%',
  '%00',
  '../../../etc/passwd',
  "' OR '1'='1",
  '\\',
  '"',
  '00000000-0000-0000-0000-000000000000',
  'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF',
  '2026-02-30T25:61:00Z',
  '0000-01-01T00:00:00Z',
  '+275761-01-01T00:00:00Z',
  '-000001-01-01T00:00:00Z',
  '2026-12-05',
  '\u202Eevil',
  'é',
];

/** JSON values of the wrong type or out of any sensible range. */
export const HOSTILE_VALUES: unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  -0.5,
  1.5,
  1e300,
  -1e300,
  2 ** 31,
  2 ** 53 + 2,
  Number.MAX_SAFE_INTEGER,
  [],
  {},
  [[]],
  [null],
  { a: { b: { c: {} } } },
  { __proto__: { polluted: true } },
];

/** Numbers at and beyond every bound, as query strings: exponents, huge, negative, fractional. */
const NUMERIC_EDGES: string[] = [
  '0',
  '-1',
  '1.5',
  '1e3',
  '1e300',
  '1E308',
  '1e+300',
  '2e15',
  '999999999999999',
  '9223372036854775807',
  '9223372036854775808',
  '-9223372036854775809',
  '1e-7',
  '0x10',
  '',
  'abc',
];

/** A number at or past any bound: the edges above, or m·10^e far beyond 64 bits. */
const numericEdge: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...NUMERIC_EDGES),
  fc
    .tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 16, max: 400 }))
    .map(([m, e]) => `${m}e${e}`),
);

const unitWithSurrogates = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
  { weight: 1, arbitrary: fc.string({ unit: unitWithSurrogates, maxLength: 12 }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 16, max: 400 }))
      .map(([m, e]) => `${m}e${e}`),
  },
);

export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...HOSTILE_VALUES) },
  { weight: 2, arbitrary: hostileString },
  {
    weight: 1,
    // Oversized arrays: past any maxItems, and far past.
    arbitrary: fc.constantFrom(1_001, 10_001, 100_001).map((n) => Array<string>(n).fill('a.com')),
  },
);

// ---------------------------------------------------------------------------------------------
// Valid values from a schema

function resolve(doc: OpenApiDocument, schema: JsonSchema): JsonSchema {
  let s = schema;
  for (let i = 0; i < 10 && s.$ref; i++) {
    s = doc.components.schemas[s.$ref.replace('#/components/schemas/', '')] ?? {};
  }
  if (s.allOf?.length === 1 && !s.type && !s.properties) return resolve(doc, s.allOf[0]);
  return s;
}

const indicatorValue = fc.oneof(
  fc.stringMatching(/^[a-z][a-z0-9]{2,10}\.(com|net|vn)$/),
  fc
    .tuple(
      fc.integer({ min: 1, max: 223 }),
      fc.nat(255),
      fc.nat(255),
      fc.integer({ min: 1, max: 254 }),
    )
    .map((p) => p.join('.')),
  fc.stringMatching(/^https?:\/\/[a-z]{3,8}\.net\/[a-z]{0,6}$/),
  fc.constantFrom('2a0e:b100:1::1', '2.51.7.0/24', 'd41d8cd98f00b204e9800998ecf8427e'),
);

const isoDate = fc
  .date({
    min: new Date('2020-01-01T00:00:00Z'),
    max: new Date('2030-01-01T00:00:00Z'),
    noInvalidDate: true,
  })
  .map((d) => d.toISOString());

function idKindsFor(name: string): string[] {
  const n = name.toLowerCase();
  if (n.includes('organization')) return ['organizations'];
  if (n.includes('indicator')) return ['indicators'];
  if (n.includes('assignment')) return ['assignments'];
  if (n === 'requestid' || n.includes('blockingrequest')) return ['blocking-requests'];
  if (n.includes('actor')) return ['users'];
  return [];
}

/** An id for a field or parameter: its own kind first, then any tenant's anything, then random. */
export function idArbitrary(ctx: GeneratorContext, kinds: string[]): fc.Arbitrary<string> {
  const own = kinds.flatMap((k) => ctx.ids[k] ?? []);
  const all = Object.values(ctx.ids).flat();
  const arbs: { weight: number; arbitrary: fc.Arbitrary<string> }[] = [
    { weight: 1, arbitrary: fc.uuid() },
  ];
  if (own.length) arbs.push({ weight: 6, arbitrary: fc.constantFrom(...own) });
  if (all.length) arbs.push({ weight: 2, arbitrary: fc.constantFrom(...all) });
  return fc.oneof(...arbs);
}

export function validValue(
  ctx: GeneratorContext,
  schema: JsonSchema,
  name = '',
  depth = 0,
): fc.Arbitrary<unknown> {
  const s = resolve(ctx.doc, schema);
  if (s.enum?.length) return fc.constantFrom(...s.enum);
  const alternatives = s.oneOf ?? s.anyOf;
  if (alternatives?.length)
    return fc.oneof(...alternatives.map((a) => validValue(ctx, a, name, depth)));
  const secrets = ctx.secrets[name];
  if (secrets?.length && s.type !== 'array') {
    return fc.oneof(fc.constantFrom(...secrets), fc.string({ maxLength: 20 }));
  }
  const type = s.type ?? (s.properties ? 'object' : s.items ? 'array' : 'string');
  switch (type) {
    case 'integer':
    case 'number': {
      const min = s.minimum ?? 0;
      // A valid `wait` (the change feed's long poll) holds the request that many seconds when
      // nothing changes: kept short, so that each run stays well within the time limit.
      const max = name === 'wait' ? 2 : (s.maximum ?? (name === 'version' ? 5 : 1000));
      return fc.integer({ min: Math.ceil(min), max: Math.max(Math.ceil(min), Math.floor(max)) });
    }
    case 'boolean':
      return fc.boolean();
    case 'array': {
      const items = s.items ?? { type: 'string' };
      return fc.array(validValue(ctx, items, name.replace(/s$/, ''), depth + 1), {
        minLength: s.minItems ?? 0,
        maxLength: Math.max(s.minItems ?? 0, Math.min(s.maxItems ?? 4, 4)),
      });
    }
    case 'object': {
      if (depth > 4 || !s.properties) return fc.constant({});
      const model: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [key, prop] of Object.entries(s.properties)) {
        model[key] = validValue(ctx, prop, key, depth + 1);
      }
      return fc.record(model, { requiredKeys: (s.required ?? []).filter((k) => k in model) });
    }
    default:
      return validString(ctx, s, name);
  }
}

function validString(ctx: GeneratorContext, s: JsonSchema, name: string): fc.Arbitrary<string> {
  if (s.format === 'uuid') return idArbitrary(ctx, idKindsFor(name));
  if (s.format === 'date-time') return isoDate;
  const n = name.toLowerCase();
  if (n === 'email') return fc.emailAddress();
  if (n === 'url') return fc.stringMatching(/^https:\/\/[a-z]{3,10}\.example\.com\/[a-z]{0,8}$/);
  if (n === 'value' || n === 'values') return indicatorValue;
  if (n === 'from' || n === 'to' || n.endsWith('from') || n.endsWith('to') || n.endsWith('at')) {
    return isoDate;
  }
  const min = s.minLength ?? 0;
  const max = Math.max(min, Math.min(s.maxLength ?? 30, 30));
  const examples = typeof s.example === 'string' ? [s.example] : [];
  return fc.oneof(
    ...(examples.length ? [fc.constantFrom(...examples)] : []),
    fc.string({ minLength: min, maxLength: max }),
    fc.stringMatching(/^[A-Za-z0-9-]{1,20}$/).filter((x) => x.length >= min),
  );
}

// ---------------------------------------------------------------------------------------------
// Requests

const IF_NONE_MATCH = ['*', '"0"', '"1"', 'W/"1"', '"a", "b"', '"', 'garbage', '*, "1"'];
const IF_MATCH = ['*', '"1"', 'W/"1"', '"', '"999999999999999999999"'];
const CONTENT_TYPES = [
  'text/plain',
  'application/xml',
  'multipart/form-data; boundary=x',
  'application/x-www-form-urlencoded',
  'application/json; charset=latin1',
  'application/json; charset=utf-16',
  'application/merge-patch+json',
  'application/octet-stream',
  'application/json',
  'text/csv',
  '',
];
const MALFORMED_BODIES = [
  '{',
  '{"a":',
  '}',
  'null',
  '[]',
  '"x"',
  '1e999',
  '{"a":1,"a":2}',
  '{"__proto__":{"polluted":true}}',
  '{"constructor":{"prototype":{"polluted":true}}}',
  '{"a":"\\ud800"}',
  '{"a":"\\u0000"}',
  '\u0000',
  '\uFEFF{}',
  '['.repeat(5000) + ']'.repeat(5000),
  '{"a":' + '1'.repeat(5000) + '}',
  'a=1&a=2',
];
const RAW_QUERIES = [
  '%',
  '%ZZ',
  '%ED%A0%80',
  '%C0%AF',
  '&&&=&',
  'a[b]=1',
  'limit[]=1',
  'limit[0]=1&limit[1]=2',
  '__proto__[polluted]=1',
  'constructor[prototype][polluted]=1',
  'cursor=%00',
  '=',
];
const IDEMPOTENCY_KEYS = [
  'fuzz-key-shared',
  'fuzz-key-2',
  '',
  ' ',
  'k'.repeat(256),
  'k'.repeat(255),
  'é',
  '00000000-0000-0000-0000-000000000000',
];

type Mutation = (r: FuzzRequest) => FuzzRequest;

function clone(r: FuzzRequest): FuzzRequest {
  return {
    ...r,
    segments: [...r.segments],
    query: r.query.map(([k, v]) => [k, v] as [string, string]),
    headers: { ...r.headers },
  };
}

function pick<T>(list: T[], index: number): T | undefined {
  return list.length ? list[index % list.length] : undefined;
}

function mutationArbitrary(ctx: GeneratorContext, op: Operation): fc.Arbitrary<Mutation> {
  const queryParams = op.parameters.filter((p) => p.in === 'query');
  const numericQuery = queryParams.filter((p) =>
    ['number', 'integer'].includes(p.schema.type ?? ''),
  );
  const pathParams = op.parameters.filter((p) => p.in === 'path');
  const bodyTypes = op.body?.contentTypes ?? [];
  const jsonBody = bodyTypes.includes('application/json');
  const queryName = fc.oneof(
    ...(queryParams.length ? [fc.constantFrom(...queryParams.map((p) => p.name))] : []),
    fc.constantFrom('unknown', 'limit', 'cursor', 'after', 'types', 'format'),
  );
  const arbs: { weight: number; arbitrary: fc.Arbitrary<Mutation> }[] = [
    // A query parameter given a hostile value (declared or not).
    {
      weight: 3,
      arbitrary: fc.tuple(queryName, hostileString).map(([name, value]): Mutation => (r) => {
        const c = clone(r);
        c.query = c.query.filter(([k]) => k !== name);
        c.query.push([name, value]);
        return c;
      }),
    },
    // A query parameter repeated (?x=a&x=b).
    {
      weight: 3,
      arbitrary: fc.tuple(queryName, fc.nat(), fc.nat()).map(([name, a, b]): Mutation => (r) => {
        const c = clone(r);
        const existing = c.query.find(([k]) => k === name)?.[1];
        const values = [
          existing ?? pick(HOSTILE_STRINGS.slice(8), a)!,
          pick(['domain', 'ipv4', '1', '2', 'csv', ''], b)!,
        ];
        c.query = c.query.filter(([k]) => k !== name);
        for (const v of values) c.query.push([name, v]);
        return c;
      }),
    },
    // A required query parameter left out; an unknown one added.
    {
      weight: 1,
      arbitrary: fc.nat().map((i): Mutation => (r) => {
        const c = clone(r);
        const name = pick(c.query, i)?.[0];
        c.query = c.query.filter(([k]) => k !== name);
        c.query.push([`x${i % 7}`, 'y']);
        return c;
      }),
    },
    // A query string the parser has to survive.
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(...RAW_QUERIES)
        .map((raw): Mutation => (r) => ({ ...clone(r), rawQuery: raw })),
    },
    // Conditional headers.
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.constantFrom(...IF_NONE_MATCH), fc.option(fc.constantFrom(...IF_MATCH)))
        .map(([inm, im]): Mutation => (r) => {
          const c = clone(r);
          c.headers['if-none-match'] = inm;
          if (im !== null) c.headers['if-match'] = im;
          return c;
        }),
    },
    // Idempotency-Key headers, shared across requests and operations on purpose.
    {
      weight: 1,
      arbitrary: fc.constantFrom(...IDEMPOTENCY_KEYS).map((key): Mutation => (r) => ({
        ...clone(r),
        headers: { ...r.headers, 'idempotency-key': key },
      })),
    },
    // Another credential on the same request.
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(...ctx.credentials)
        .map((credential): Mutation => (r) => ({ ...clone(r), credential })),
    },
  ];
  if (numericQuery.length) {
    arbs.push({
      weight: 3,
      arbitrary: fc
        .tuple(fc.constantFrom(...numericQuery.map((p) => p.name)), numericEdge)
        .map(([name, value]): Mutation => (r) => {
          const c = clone(r);
          c.query = c.query.filter(([k]) => k !== name);
          c.query.push([name, value]);
          return c;
        }),
    });
  }
  if (pathParams.length) {
    arbs.push({
      weight: 3,
      arbitrary: fc
        .tuple(
          fc.constantFrom(...pathParams.map((p) => p.name)),
          fc.oneof(hostileString, idArbitrary(ctx, Object.keys(ctx.ids))),
        )
        .map(([name, value]): Mutation => (r) => ({
          ...clone(r),
          segments: r.segments.map((s) =>
            'param' in s && s.param === name ? { param: name, value } : s,
          ),
        })),
    });
  }
  if (op.body) {
    // A field given a hostile value, removed, or an unknown one added.
    arbs.push({
      weight: 4,
      arbitrary: fc
        .tuple(fc.nat(), fc.constantFrom('hostile', 'drop', 'unknown', 'nest'), hostileValue)
        .map(([i, how, value]): Mutation => (r) => {
          if (
            r.body?.kind !== 'json' ||
            typeof r.body.value !== 'object' ||
            r.body.value === null
          ) {
            return r;
          }
          const obj = { ...(r.body.value as Record<string, unknown>) };
          const keys = Object.keys(obj);
          const key = pick(keys, i) ?? 'field';
          if (how === 'hostile') obj[key] = value;
          else if (how === 'drop') delete obj[key];
          else if (how === 'unknown') obj[`unknown${i % 5}`] = value;
          else if (Array.isArray(obj[key])) obj[key] = [...(obj[key] as unknown[]), value];
          else obj[key] = { nested: value };
          return { ...clone(r), body: { ...r.body, value: obj } };
        }),
    });
    // The whole body replaced: malformed JSON, a hostile value, raw bytes that are not UTF-8.
    arbs.push({
      weight: 2,
      arbitrary: fc
        .oneof(
          fc
            .constantFrom(...MALFORMED_BODIES)
            .map((text): Body => ({ kind: 'text', contentType: 'application/json', text })),
          hostileValue.map((value): Body => ({
            kind: 'json',
            contentType: 'application/json',
            value,
          })),
          fc.uint8Array({ minLength: 1, maxLength: 64 }).map((b): Body => ({
            kind: 'bytes',
            contentType: bodyTypes[0] ?? 'application/json',
            base64: Buffer.concat([Buffer.from([0xff, 0xfe, 0xc0]), Buffer.from(b)]).toString(
              'base64',
            ),
          })),
        )
        .map((body): Mutation => (r) => ({ ...clone(r), body })),
    });
    // The right body with the wrong content type, or none.
    arbs.push({
      weight: 2,
      arbitrary: fc.constantFrom(...CONTENT_TYPES).map(
        (contentType): Mutation =>
          (r) =>
            r.body ? { ...clone(r), body: { ...r.body, contentType } } : r,
      ),
    });
  } else if (op.method !== 'GET' || jsonBody) {
    arbs.push({
      weight: 1,
      arbitrary: hostileValue.map((value): Mutation => (r) => ({
        ...clone(r),
        body: { kind: 'json', contentType: 'application/json', value },
      })),
    });
  }
  if (op.method === 'GET') {
    // A body on a GET.
    arbs.push({
      weight: 1,
      arbitrary: fc.constantFrom(...MALFORMED_BODIES.slice(0, 4)).map((text): Mutation => (r) => ({
        ...clone(r),
        body: { kind: 'text', contentType: 'application/json', text },
      })),
    });
  }
  return fc.oneof(...arbs);
}

function bodyArbitrary(ctx: GeneratorContext, op: Operation): fc.Arbitrary<Body | undefined> {
  const body = op.body;
  if (!body) return fc.constant(undefined);
  const types = body.contentTypes.length ? body.contentTypes : ['application/json'];
  return fc.constantFrom(...types).chain((contentType): fc.Arbitrary<Body | undefined> => {
    const schema = body.schema ? resolve(ctx.doc, body.schema) : undefined;
    if (contentType === 'application/x-www-form-urlencoded') {
      return validValue(ctx, schema ?? { type: 'object' }).map((v) => ({
        kind: 'text',
        contentType,
        text: new URLSearchParams(
          Object.entries(v as Record<string, unknown>).map(([k, x]): [string, string] => [
            k,
            String(x),
          ]),
        ).toString(),
      }));
    }
    if (!schema || schema.type === 'string') {
      // Imports: one value per line (text, CSV), or a JSON array of values.
      return fc
        .array(indicatorValue, { minLength: 1, maxLength: 8 })
        .map((values) =>
          contentType === 'application/json'
            ? { kind: 'json', contentType, value: values }
            : { kind: 'text', contentType, text: values.join('\n') + '\n' },
        );
    }
    return validValue(ctx, schema).map((value) => ({ kind: 'json', contentType, value }));
  });
}

function parameterValue(ctx: GeneratorContext, op: Operation, p: Parameter): fc.Arbitrary<string> {
  if (p.in === 'path') {
    const kind =
      op.template.split('/').slice(-1)[0] === `{${p.name}}`
        ? op.template.split('/').slice(-2)[0]
        : '';
    const kinds: Record<string, string> = {
      deliveryId: 'deliveries',
      entryId: 'entries',
      indicatorId: 'indicators',
      confirmationId: 'confirmations',
      collectionId: 'collections',
      objectId: 'objects',
    };
    const own =
      kinds[p.name] ?? (p.name === 'id' ? op.template.split('/{id}')[0].split('/').pop()! : kind);
    if (p.schema.enum?.length) return fc.constantFrom(...p.schema.enum.map(String));
    return idArbitrary(ctx, [own]);
  }
  if (p.in === 'header') {
    const lower = p.name.toLowerCase();
    if (lower === 'if-none-match') {
      return fc.oneof(
        fc.constant('*'),
        fc.constantFrom(...IF_NONE_MATCH, ...(ctx.secrets.etag ?? [])),
      );
    }
    if (lower === 'idempotency-key') return fc.uuid();
    if (lower === 'authorization') return fc.constantFrom('Basic Og==', 'Basic !!!', 'Bearer');
    if (lower === 'content-type') return fc.constant('application/x-www-form-urlencoded');
    return fc.stringMatching(/^[!-~]{1,20}$/);
  }
  const valid = validValue(ctx, p.schema, p.name).map((v) =>
    Array.isArray(v) ? v.join(',') : String(v),
  );
  // Numbers: often at or past a bound (huge, negative, exponent notation) already.
  if (p.schema.type === 'number' || p.schema.type === 'integer') {
    return fc.oneof({ weight: 3, arbitrary: valid }, { weight: 2, arbitrary: numericEdge });
  }
  return valid;
}

export function requestArbitrary(ctx: GeneratorContext, op: Operation): fc.Arbitrary<FuzzRequest> {
  const params = op.parameters;
  const allowed = ctx.allowed(op);
  const pathArbs = params
    .filter((p) => p.in === 'path')
    .map((p) => parameterValue(ctx, op, p).map((v) => [p.name, v] as const));
  const optional = params.filter((p) => p.in !== 'path');
  const optionalArbs = optional.map((p) =>
    (p.required ? parameterValue(ctx, op, p) : fc.option(parameterValue(ctx, op, p), { freq: 3 })) // null about 1 time in 3
      .map((v) => [p, v] as const),
  );
  const base = fc
    .record({
      credential: fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom(...(allowed.length ? allowed : ctx.credentials)) },
        { weight: 1, arbitrary: fc.constantFrom(...ctx.credentials) },
      ),
      path: fc.tuple(...pathArbs),
      rest: fc.tuple(...optionalArbs),
      body: bodyArbitrary(ctx, op),
    })
    .map(({ credential, path, rest, body }): FuzzRequest => {
      const values = new Map<string, string>(path);
      const segments: PathPart[] = op.template
        .split(/(\{[^}]+\})/)
        .filter((x) => x !== '')
        .map((x) => {
          const m = /^\{(.+)\}$/.exec(x);
          return m ? { param: m[1], value: values.get(m[1]) ?? '' } : { literal: x };
        });
      const query: [string, string][] = [];
      const headers: Record<string, string> = {};
      for (const [p, v] of rest) {
        if (v === null) continue;
        if (p.in === 'query') query.push([p.name, v]);
        else if (p.in === 'header') headers[p.name.toLowerCase()] = v;
      }
      return { credential, method: op.method, segments, query, headers, body };
    });
  // A third of the requests stay valid: they reach deeper (a 304, a page, a state change).
  const mutations = fc.oneof(
    { weight: 1, arbitrary: fc.constant([] as Mutation[]) },
    { weight: 2, arbitrary: fc.array(mutationArbitrary(ctx, op), { minLength: 1, maxLength: 4 }) },
  );
  return fc.tuple(base, mutations).map(([req, mutations]) => mutations.reduce((r, m) => m(r), req));
}

// ---------------------------------------------------------------------------------------------
// The wire

/**
 * Percent-encodes every UTF-16 code unit sequence, lone surrogates included (as the three bytes
 * WTF-8 gives them, which are not UTF-8: what a hostile client sends).
 */
export function percentEncode(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    let cp = s.charCodeAt(i);
    const next = s.charCodeAt(i + 1);
    if (cp >= 0xd800 && cp <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      cp = 0x10000 + ((cp - 0xd800) << 10) + (next - 0xdc00);
      i++;
    }
    if (/[A-Za-z0-9\-._~]/.test(String.fromCharCode(cp)) && cp < 0x80) {
      out += String.fromCharCode(cp);
      continue;
    }
    const bytes =
      cp < 0x80
        ? [cp]
        : cp < 0x800
          ? [0xc0 | (cp >> 6), 0x80 | (cp & 63)]
          : cp < 0x10000
            ? [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)]
            : [
                0xf0 | (cp >> 18),
                0x80 | ((cp >> 12) & 63),
                0x80 | ((cp >> 6) & 63),
                0x80 | (cp & 63),
              ];
    out += bytes.map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
  }
  return out;
}

/** The request target (path and query) as sent on the request line. */
export function target(r: FuzzRequest): string {
  const path = r.segments
    .map((s) => ('literal' in s ? s.literal : percentEncode(s.value)))
    .join('');
  const query = [
    ...r.query.map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`),
    ...(r.rawQuery ? [r.rawQuery] : []),
  ].join('&');
  return query ? `${path}?${query}` : path;
}

export function bodyBytes(body: Body | undefined): Buffer | undefined {
  if (!body) return undefined;
  if (body.kind === 'bytes') return Buffer.from(body.base64, 'base64');
  if (body.kind === 'text') return Buffer.from(body.text, 'utf8');
  // JSON.stringify escapes lone surrogates (\ud800) and NUL (\u0000): the server's JSON.parse
  // gives them back as they were generated.
  return Buffer.from(JSON.stringify(body.value) ?? 'null', 'utf8');
}

/** A shell word for `bytes`: single-quoted, with runs of one character written as printf. */
export function shellWord(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  const printable =
    Buffer.from(text, 'utf8').equals(bytes) &&
    ![...text].some((ch) => {
      const c = ch.charCodeAt(0);
      return c === 0x7f || (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d);
    });
  if (!printable) {
    return `$'${[...bytes].map((b) => (b >= 0x20 && b < 0x7f && b !== 0x27 && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`)).join('')}'`;
  }
  const quoted = text.replace(/'/g, `'\\''`);
  // Long runs of one character (the 100,000-character strings) as a printf, spliced in.
  return `'${quoted.replace(/([A-Za-z0-9 .,[\]{}":])\1{63,}/g, (run, c: string) => `'"$(printf '%.0s${c === '%' ? '%%' : c}' $(seq ${run.length}))"'`)}'`;
}
