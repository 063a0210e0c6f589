import type { Readable } from 'node:stream';
import { Injectable } from '@nestjs/common';
import { parse as parseCsv } from 'csv-parse/sync';
import { isEmail } from 'class-validator';
import { DataSource, type EntityManager } from 'typeorm';
import {
  OrganizationsRepository,
  OrganizationsService,
  refusedShortCode,
  tenantScope,
  type OrganizationContacts,
  type Principal,
  type TenantScope,
} from '#src/identity/index.js';
import { AuditLog, fieldChanges } from '#src/platform/audit-log/index.js';
import { sqlState, uniqueViolation } from '#src/platform/database/index.js';
import { paginate, type Page } from '#src/platform/pagination/index.js';
import {
  badRequest,
  conflict,
  httpProblem,
  notFound,
  staleVersion,
  unprocessable,
  validationProblem,
  type InvalidParam,
  ProblemType,
} from '#src/platform/problem/index.js';
import { ProtectedListsService } from '#src/publishing/index.js';
import {
  MAX_ASN,
  MAX_DISTRICT,
  MAX_UNIT_ASNS,
  MAX_UNIT_NETWORKS,
  SHORT_CODE,
  UNIT_CATEGORIES,
  type AddUnitNetworksRequest,
  type CreateUnitRequest,
  type UnitCategory,
  type UnitImportResult,
  type UnitListQuery,
  type UnitNetworkResponse,
  type UnitResponse,
  type UnitSummaryResponse,
  type UpdateUnitRequest,
} from '#src/response/units/dto/unit.dto.js';
import { ResponseConfig } from '#src/response/response.config.js';
import { readBodyText } from '#src/response/units/request-text.js';
import { UnitNetworksService } from '#src/response/units/unit-networks.service.js';
import { canonicalUnitNetwork, overlapsWithin } from '#src/response/units/unit-networks.js';
import {
  UnitsRepository,
  type UnitNetworkRow,
  type UnitRow,
} from '#src/response/units/units.repository.js';

/** Rows of a units CSV import. */
export const MAX_IMPORT_ROWS = 5000;
/** Refusal reasons listed in one answer; the detail gives the total. */
const MAX_LISTED = 200;
export const IMPORT_COLUMNS = [
  'short_code',
  'name',
  'category',
  'district',
  'email',
  'phone',
  'hotline',
  'networks',
  'asns',
] as const;
const PHONE = /^[+0-9 ().-]{3,40}$/;
/** SQLSTATE exclusion_violation: unit_networks_no_overlap refused a network (a race). */
const EXCLUSION_VIOLATION = '23P01';

/**
 * Which units a caller sees: a unit officer only their own unit; the Department and
 * authorities every unit (identity's tenant scope covers ISPs, which have no route here).
 */
export function unitScope(caller: Principal): TenantScope {
  return caller.organizationKind === 'unit'
    ? { organizationId: caller.organizationId }
    : tenantScope(caller);
}

function toSummary(r: UnitRow): UnitSummaryResponse {
  return {
    id: r.id,
    name: r.name,
    shortCode: r.shortCode,
    category: r.category,
    district: r.district,
    contacts: r.contacts,
    asns: r.asns,
    networkCount: r.networkCount,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
    version: r.version,
  };
}

function toNetwork(n: UnitNetworkRow): UnitNetworkResponse {
  return { id: n.id, network: n.network, createdAt: n.createdAt.toISOString() };
}

function contactsOf(c: { phone?: string; hotline?: string; email?: string } | undefined) {
  const contacts: OrganizationContacts = {};
  if (c?.phone !== undefined) contacts.phone = c.phone;
  if (c?.hotline !== undefined) contacts.hotline = c.hotline;
  if (c?.email !== undefined) contacts.email = c.email;
  return contacts;
}

/** A network to check, and the name of the field it came from (`networks[3]`, `rows[2].networks`). */
interface NetworkInput {
  field: string;
  raw: string;
}

/**
 * Units: organizations of kind `unit` (communes, offices, agencies), their networks and
 * contacts. Networks never overlap (another unit's, the unit's own, or a protected network):
 * each refusal names the field and the reason.
 */
@Injectable()
export class UnitsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly units: UnitsRepository,
    private readonly organizations: OrganizationsService,
    private readonly organizationRows: OrganizationsRepository,
    private readonly protectedLists: ProtectedListsService,
    private readonly audit: AuditLog,
    private readonly config: ResponseConfig,
    private readonly unitNetworks: UnitNetworksService,
  ) {}

  list(caller: Principal, query: UnitListQuery): Promise<Page<UnitSummaryResponse>> {
    const scope = unitScope(caller);
    return paginate(
      query,
      (after, limit) =>
        this.units.list(
          { scope, category: query.category, district: query.district, q: query.q },
          after,
          limit,
        ),
      toSummary,
    );
  }

  async get(caller: Principal, id: string, manager?: EntityManager): Promise<UnitResponse> {
    const scope = unitScope(caller);
    const row = await this.units.findById(id, manager);
    if (!row || (scope.organizationId !== undefined && scope.organizationId !== row.id)) {
      throw notFound('unit');
    }
    const networks = await this.units.networksOf(id, manager);
    return { ...toSummary(row), networks: networks.map(toNetwork) };
  }

  /** The organization, the unit and its networks, in one transaction. */
  async create(caller: Principal, request: CreateUnitRequest): Promise<UnitResponse> {
    const networks = await this.checkNetworks(
      request.networks.map((raw, i) => ({ field: `networks[${i}]`, raw })),
    );
    await this.organizations.checkShortCodeFree(request.shortCode);
    const id = await this.withOverlapRace(
      () =>
        this.checkNetworks(request.networks.map((raw, i) => ({ field: `networks[${i}]`, raw }))),
      () =>
        this.dataSource.transaction(async (manager) => {
          const org = await this.organizations.createWithin(manager, caller, {
            kind: 'unit',
            name: request.name,
            shortCode: request.shortCode,
            contacts: contactsOf(request.contacts),
          });
          const asns = [...new Set(request.asns ?? [])];
          await this.units.insertUnits(manager, [
            {
              organizationId: org.id,
              category: request.category,
              district: request.district ?? null,
              asns,
            },
          ]);
          await this.units.insertNetworks(
            manager,
            networks.map((network) => ({ unitId: org.id, network })),
          );
          await this.audit.record(manager, {
            actor: caller,
            action: 'unit.create',
            objectType: 'unit',
            objectId: org.id,
            summary: {
              shortCode: org.shortCode,
              category: request.category,
              district: request.district ?? null,
              networks: networks.slice(0, 20),
              networkCount: networks.length,
              asns,
            },
          });
          return org.id;
        }),
    ).catch((error: unknown) => {
      throw refusedShortCode(error, request.shortCode) ?? error;
    });
    return this.get(caller, id);
  }

  async update(caller: Principal, id: string, request: UpdateUnitRequest): Promise<UnitResponse> {
    await this.get(caller, id);
    const unitChanges = {
      ...(request.category === undefined ? {} : { category: request.category }),
      ...(request.district === undefined ? {} : { district: request.district }),
      ...(request.asns === undefined ? {} : { asns: [...new Set(request.asns)] }),
    };
    const orgChanges = {
      ...(request.name === undefined ? {} : { name: request.name }),
      ...(request.contacts === undefined ? {} : { contacts: contactsOf(request.contacts) }),
    };
    const changed = await this.dataSource.transaction(async (manager) => {
      const version = await this.units.lock(manager, id);
      if (version !== request.version) return false;
      const before = await this.units.findById(id, manager);
      if (Object.keys(orgChanges).length > 0) {
        const org = await this.organizationRows.findByIdForUpdate(manager, id);
        if (!org) return false;
        await this.organizationRows.updateIfVersion(manager, id, org.version, orgChanges);
      }
      await this.units.update(manager, id, unitChanges);
      await this.audit.record(manager, {
        actor: caller,
        action: 'unit.update',
        objectType: 'unit',
        objectId: id,
        summary: { changes: fieldChanges(before ?? {}, { ...orgChanges, ...unitChanges }) },
      });
      return true;
    });
    if (!changed) throw staleVersion('unit');
    return this.get(caller, id);
  }

  async addNetworks(
    caller: Principal,
    id: string,
    request: AddUnitNetworksRequest,
  ): Promise<UnitResponse> {
    const unit = await this.get(caller, id);
    const inputs = request.networks.map((raw, i) => ({ field: `networks[${i}]`, raw }));
    const networks = await this.checkNetworks(inputs);
    if (unit.networks.length + networks.length > MAX_UNIT_NETWORKS) {
      throw unprocessable(
        `A unit has at most ${MAX_UNIT_NETWORKS} networks: this one has ${unit.networks.length}`,
        { title: 'Too many networks' },
      );
    }
    await this.withOverlapRace(
      () => this.checkNetworks(inputs),
      () =>
        this.dataSource.transaction(async (manager) => {
          if ((await this.units.lock(manager, id)) === null) throw notFound('unit');
          const added = await this.units.insertNetworks(
            manager,
            networks.map((network) => ({ unitId: id, network })),
          );
          await this.audit.record(manager, {
            actor: caller,
            action: 'unit.add_networks',
            objectType: 'unit',
            objectId: id,
            summary: { networks: added.slice(0, 20).map((n) => n.network), count: added.length },
          });
        }),
    );
    return this.get(caller, id);
  }

  async removeNetwork(caller: Principal, id: string, networkId: string): Promise<void> {
    await this.get(caller, id);
    await this.dataSource.transaction(async (manager) => {
      if ((await this.units.lock(manager, id)) === null) throw notFound('unit');
      const network = await this.units.deleteNetwork(manager, id, networkId);
      if (network === null) throw notFound('unit network');
      await this.audit.record(manager, {
        actor: caller,
        action: 'unit.remove_network',
        objectType: 'unit',
        objectId: id,
        summary: { networkId, network },
      });
    });
    this.unitNetworks.changed();
  }

  /** POST /units/import: the streamed CSV body, read whole (bounded), then imported. */
  async importCsv(
    caller: Principal,
    body: { stream: Readable; contentType: string } | undefined,
    declaredLength: string | undefined,
  ): Promise<UnitImportResult> {
    if (body?.contentType.split(';')[0].trim().toLowerCase() !== 'text/csv') {
      throw httpProblem(415, 'Send the units as text/csv');
    }
    const text = await readBodyText(body.stream, declaredLength, {
      name: 'units-import-bytes',
      value: this.config.UNITS_IMPORT_BODY_LIMIT_BYTES,
    });
    return this.import(caller, text);
  }

  /**
   * A CSV of units, all or nothing: every row is checked (fields, short codes taken or repeated,
   * networks overlapping each other, another unit's or a protected network) and any refusal is
   * a 422 listing `rows[i].field`; else every unit is created in one transaction.
   */
  async import(caller: Principal, text: string): Promise<UnitImportResult> {
    const rows = this.readImportCsv(text);
    const problems: InvalidParam[] = [];
    const fail = (i: number, field: string, reason: string): void => {
      problems.push({ name: `rows[${i}].${field}`, reason });
    };
    interface Parsed {
      shortCode: string;
      name: string;
      category: UnitCategory;
      district: string | null;
      contacts: OrganizationContacts;
      asns: number[];
      networks: NetworkInput[];
    }
    const parsed: Parsed[] = rows.map((cells, i) => {
      const get = (c: (typeof IMPORT_COLUMNS)[number]): string => cells[c] ?? '';
      const shortCode = get('short_code');
      if (!SHORT_CODE.test(shortCode))
        fail(i, 'short_code', 'short_code must be 2–32 letters, digits or dashes');
      const name = get('name');
      if (name.length < 2 || name.length > 200) fail(i, 'name', 'name must be 2–200 characters');
      const category = get('category').toLowerCase();
      if (!(UNIT_CATEGORIES as readonly string[]).includes(category))
        fail(i, 'category', `category must be one of ${UNIT_CATEGORIES.join(', ')}`);
      const district = get('district');
      if (district.length > MAX_DISTRICT)
        fail(i, 'district', `district is at most ${MAX_DISTRICT} characters`);
      const contacts: OrganizationContacts = {};
      const email = get('email');
      if (email !== '') {
        if (email.length > 254 || !isEmail(email)) fail(i, 'email', 'email must be an email');
        contacts.email = email;
      }
      for (const field of ['phone', 'hotline'] as const) {
        const value = get(field);
        if (value === '') continue;
        if (!PHONE.test(value)) fail(i, field, `${field} must be a telephone number`);
        contacts[field] = value;
      }
      const networkTexts = get('networks').split(/\s+/).filter(Boolean);
      if (networkTexts.length > MAX_UNIT_NETWORKS)
        fail(i, 'networks', `at most ${MAX_UNIT_NETWORKS} networks per unit`);
      const asnTexts = get('asns').split(/\s+/).filter(Boolean);
      const asns: number[] = [];
      if (asnTexts.length > MAX_UNIT_ASNS) fail(i, 'asns', `at most ${MAX_UNIT_ASNS} ASNs`);
      for (const text of asnTexts) {
        const asn = /^(?:AS)?(\d{1,10})$/i.exec(text);
        const value = asn ? Number(asn[1]) : NaN;
        if (!(value >= 1 && value <= MAX_ASN)) {
          fail(i, 'asns', `${text} is not an ASN (1–${MAX_ASN})`);
        } else if (!asns.includes(value)) asns.push(value);
      }
      return {
        shortCode: shortCode.toUpperCase(),
        name,
        category: category as UnitCategory,
        district: district === '' ? null : district,
        contacts,
        asns,
        networks: networkTexts
          .slice(0, MAX_UNIT_NETWORKS)
          .map((raw) => ({ field: `rows[${i}].networks`, raw })),
      };
    });
    const firstRow = new Map<string, number>();
    parsed.forEach((p, i) => {
      const first = firstRow.get(p.shortCode);
      if (first !== undefined)
        fail(i, 'short_code', `short code ${p.shortCode} repeats row ${first}`);
      else firstRow.set(p.shortCode, i);
    });
    const taken = await this.units.shortCodesTaken([...firstRow.keys()]);
    parsed.forEach((p, i) => {
      if (taken.has(p.shortCode))
        fail(i, 'short_code', `an organization with short code ${p.shortCode} exists already`);
    });
    const allInputs = parsed.flatMap((p) => p.networks);
    const networkRefusals: InvalidParam[] = [];
    const canonical = await this.checkNetworks(allInputs, networkRefusals);
    problems.push(...networkRefusals);
    if (problems.length > 0) {
      throw unprocessable(
        `${problems.length} refusal(s) in ${new Set(problems.map((p) => p.name.split('.')[0])).size} row(s), e.g. ${problems[0].name}: ${problems[0].reason}; nothing was imported.`,
        {
          title: 'The units cannot be imported',
          extensions: { 'invalid-params': problems.slice(0, MAX_LISTED) },
        },
      );
    }
    let next = 0;
    const networksOf = parsed.map((p) => canonical.slice(next, (next += p.networks.length)));
    return this.withOverlapRace(
      () => this.checkNetworks(allInputs),
      () =>
        this.dataSource.transaction(async (manager) => {
          const ids: string[] = [];
          for (const p of parsed) {
            const org = await this.organizationRows.insert(manager, {
              kind: 'unit',
              name: p.name,
              shortCode: p.shortCode,
              contacts: p.contacts,
            });
            ids.push(org.id);
          }
          await this.units.insertUnits(
            manager,
            parsed.map((p, i) => ({
              organizationId: ids[i],
              category: p.category,
              district: p.district,
              asns: p.asns,
            })),
          );
          const inserted = await this.units.insertNetworks(
            manager,
            networksOf.flatMap((list, i) => list.map((network) => ({ unitId: ids[i], network }))),
          );
          await this.audit.record(manager, {
            actor: caller,
            action: 'unit.import',
            objectType: 'unit',
            objectId: null,
            summary: {
              units: parsed.length,
              networks: inserted.length,
              shortCodes: parsed.slice(0, 50).map((p) => p.shortCode),
            },
          });
          return { units: parsed.length, networks: inserted.length };
        }),
    ).catch((error: unknown) => {
      if (uniqueViolation(error) === 'organizations_short_code_key') {
        throw conflict('A short code of the file was taken while it was imported: try again');
      }
      throw error;
    });
  }

  /** The CSV as records by column name; a 400 when it cannot be read or has the wrong header. */
  private readImportCsv(text: string): Record<string, string>[] {
    let records: string[][];
    try {
      records = parseCsv(text, {
        bom: true,
        trim: true,
        skip_empty_lines: true,
        record_delimiter: ['\r\n', '\n'],
        to: MAX_IMPORT_ROWS + 2,
      });
    } catch (error) {
      throw badRequest(`The CSV cannot be read: ${(error as Error).message}`, {
        type: ProblemType.malformedBody,
        title: 'The CSV cannot be read',
      });
    }
    const header = records.shift()?.map((h) => h.toLowerCase());
    const missing = IMPORT_COLUMNS.filter((c) => !header?.includes(c));
    const unknown = (header ?? []).filter(
      (h) => !(IMPORT_COLUMNS as readonly string[]).includes(h),
    );
    if (header === undefined || missing.length > 0 || unknown.length > 0) {
      throw validationProblem([
        {
          name: 'header',
          reason: `the header row must name ${IMPORT_COLUMNS.join(',')}${missing.length ? `; missing: ${missing.join(', ')}` : ''}${unknown.length ? `; unknown: ${unknown.join(', ')}` : ''}`,
        },
      ]);
    }
    if (records.length === 0) throw validationProblem([{ name: 'rows', reason: 'no rows' }]);
    if (records.length > MAX_IMPORT_ROWS) {
      throw validationProblem([
        { name: 'rows', reason: `at most ${MAX_IMPORT_ROWS} units per import` },
      ]);
    }
    return records.map((record) => Object.fromEntries(header.map((h, i) => [h, record[i] ?? ''])));
  }

  /**
   * The networks canonical, in order; refused (a 422 naming each field, or pushed onto
   * `refusals` when given) when one is not a network, overlaps another of the list, another
   * unit's network, or a protected network.
   */
  private async checkNetworks(
    inputs: readonly NetworkInput[],
    refusals?: InvalidParam[],
  ): Promise<string[]> {
    const problems: InvalidParam[] = [];
    const canonical = inputs.map((input) => {
      const parsed = canonicalUnitNetwork(input.raw);
      if (!parsed.ok)
        problems.push({ name: input.field, reason: `${input.raw}: ${parsed.reason}` });
      return parsed.ok ? parsed.value : '';
    });
    const valid = canonical.map((c, i) => ({ c, i })).filter((x) => x.c !== '');
    for (const [a, b] of overlapsWithin(valid.map((x) => x.c))) {
      const [i, j] = [valid[a].i, valid[b].i];
      problems.push({
        name: inputs[i].field,
        reason: `${canonical[i]} overlaps ${canonical[j]} (${inputs[j].field}) of the same request`,
      });
    }
    const existing = await this.units.overlapping(
      undefined,
      valid.map((x) => x.c),
    );
    for (const o of existing) {
      const i = valid[o.index].i;
      problems.push({
        name: inputs[i].field,
        reason: `${canonical[i]} overlaps ${o.network} of unit ${o.shortCode}`,
      });
    }
    const matcher = await this.protectedLists.matcher();
    for (const { c, i } of valid) {
      const match = matcher.match('cidr', c)[0];
      if (match !== undefined) {
        problems.push({
          name: inputs[i].field,
          reason: `${c} ${match.reason} of the protected list "${match.listName}"`,
        });
      }
    }
    if (refusals !== undefined) refusals.push(...problems);
    else if (problems.length > 0) {
      throw unprocessable(
        problems.length === 1
          ? `${problems[0].name}: ${problems[0].reason}`
          : `${problems.length} networks are refused, e.g. ${problems[0].name}: ${problems[0].reason}`,
        {
          title: 'Networks refused',
          extensions: { 'invalid-params': problems.slice(0, MAX_LISTED) },
        },
      );
    }
    return canonical;
  }

  /**
   * Runs `write`; when another transaction committed an overlapping network in between (the
   * exclusion constraint refused ours: 23P01), runs `recheck`, which now names it (a 422), or
   * answers 409 if it does not (that other network is gone again: try again).
   */
  private async withOverlapRace<T>(
    recheck: () => Promise<unknown>,
    write: () => Promise<T>,
  ): Promise<T> {
    try {
      const result = await write();
      this.unitNetworks.changed();
      return result;
    } catch (error) {
      if (sqlState(error) !== EXCLUSION_VIOLATION) throw error;
      await recheck();
      throw conflict('A network overlapped another unit’s network while this was saved: try again');
    }
  }
}
