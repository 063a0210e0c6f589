import type { INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { SightingsService } from '#src/obligations/index.js';
import { Clock } from '#src/platform/clock/index.js';
import { IncidentsService, UnitsService } from '#src/response/index.js';
import { principal } from '#src/app/demo/demo-request.js';
import { upsertUser, type DemoAccount } from '#src/app/demo/seed-demo.js';

/**
 * The demo units. Their networks are in 192.88.99.0/24, the former 6to4 relay anycast prefix
 * (RFC 3068, deprecated by RFC 7526): nobody's network today, and not a protected range, unlike
 * the documentation ranges (which the built-in protected list covers, so a unit could not hold
 * them).
 */
export const DEMO_UNITS = [
  {
    shortCode: 'UBND-HACTHANH',
    name: 'UBND phường Hạc Thành',
    category: 'commune' as const,
    district: 'Thanh Hóa',
    contacts: { phone: '+84 237 3852 101', email: 'vanthu@hacthanh.example' },
    networks: ['192.88.99.0/27'],
    officer: { email: 'officer@hacthanh.example', name: 'Cán bộ phường Hạc Thành' },
  },
  {
    shortCode: 'TTYT-DONGSON',
    name: 'Trung tâm Y tế huyện Đông Sơn',
    category: 'agency' as const,
    district: 'Đông Sơn',
    contacts: { hotline: '+84 237 3690 115', email: 'it@ttyt-dongson.example' },
    networks: ['192.88.99.32/27'],
    officer: { email: 'officer@ttyt-dongson.example', name: 'Cán bộ CNTT Trung tâm Y tế' },
  },
];

/** The demo case: Demo ISP A saw a host of UBND phường Hạc Thành talk to the demo C2. */
export const DEMO_SIGHTING = { value: 'botnet-c2.example.com', network: '192.88.99.7' };
export const DEMO_INCIDENT_TITLE = 'Máy tính bộ phận một cửa kết nối tới máy chủ điều khiển botnet';

/**
 * The rest of the letter in the demo (docs/units-and-incidents.md): two units with their
 * officers, an open case for one of them (from a sighting Demo ISP A reports, matched to the
 * unit by its network), and an incident report its officer filed. Made through the same
 * services as the API; idempotent: what exists (by short code, e-mail, the unit's cases, the
 * report's title) is left as it is. Needs the demo request (its C2 in Demo ISP A's feed).
 */
export async function seedDemoResponse(
  app: INestApplicationContext,
  password: string | undefined,
): Promise<{ users: DemoAccount[]; units: string[]; caseId: string; incident: string }> {
  const ds = app.get(DataSource);
  const responder = await principal(ds, 'responder@dic.example');
  const unitIds = new Map<string, string>();
  for (const unit of DEMO_UNITS) {
    const [found] = await ds.query<{ id: string; kind: string }[]>(
      `SELECT id, kind FROM organizations WHERE short_code = $1`,
      [unit.shortCode],
    );
    if (found && found.kind !== 'unit') {
      throw new Error(
        `Organization ${unit.shortCode} exists and is not a unit: not a demo database?`,
      );
    }
    const { officer: _officer, ...request } = unit;
    unitIds.set(
      unit.shortCode,
      found?.id ?? (await app.get(UnitsService).create(responder, { ...request, asns: [] })).id,
    );
  }
  const users: DemoAccount[] = [];
  await ds.transaction(async (manager) => {
    for (const unit of DEMO_UNITS) {
      const printed = await upsertUser(
        manager,
        {
          organizationId: unitIds.get(unit.shortCode) ?? '',
          email: unit.officer.email,
          name: unit.officer.name,
          roles: ['unit_officer'],
        },
        password,
      );
      users.push({
        organization: unit.shortCode,
        email: unit.officer.email,
        roles: ['unit_officer'],
        password: printed,
      });
    }
  });
  const unitId = unitIds.get(DEMO_UNITS[0].shortCode) ?? '';
  const caseOf = async (): Promise<string | undefined> =>
    (
      await ds.query<{ id: string }[]>(
        `SELECT id FROM unit_cases WHERE unit_id = $1 ORDER BY opened_at DESC LIMIT 1`,
        [unitId],
      )
    )[0]?.id;
  if ((await caseOf()) === undefined) {
    const now = app.get(Clock).now().getTime();
    await app.get(SightingsService).report(await principal(ds, 'operator@isp-a.example', 'isp'), {
      sightings: [
        {
          value: DEMO_SIGHTING.value,
          type: 'domain',
          network: DEMO_SIGHTING.network,
          count: 42,
          firstSeen: new Date(now - 6 * 3600_000),
          lastSeen: new Date(now - 600_000),
          note: 'Demo: DNS queries for the C2 name from this customer address',
        },
      ],
    });
  }
  const caseId = (await caseOf()) ?? '';
  const officer = await principal(ds, DEMO_UNITS[0].officer.email, 'unit');
  const [incident] = await ds.query<{ reference: string }[]>(
    `SELECT reference FROM incidents WHERE reporter_organization_id = $1 AND title = $2`,
    [unitId, DEMO_INCIDENT_TITLE],
  );
  const reference =
    incident?.reference ??
    (
      await app.get(IncidentsService).create(officer, {
        category: 'botnet',
        severity: 'high',
        title: DEMO_INCIDENT_TITLE,
        affectedSystems: 'Máy trạm bộ phận một cửa (192.88.99.7), Windows 10',
        description:
          'Phần mềm diệt virus cảnh báo tiến trình lạ gửi truy vấn DNS tới botnet-c2.example.com ' +
          'nhiều lần mỗi giờ. Đã ngắt mạng máy trạm, đề nghị đội ứng cứu hỗ trợ phân tích.',
        indicators: [DEMO_SIGHTING.value],
      })
    ).reference;
  return { users, units: [...unitIds.keys()], caseId, incident: reference };
}
