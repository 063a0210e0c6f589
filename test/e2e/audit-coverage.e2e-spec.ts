import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { PROJECT_ROOT } from '#src/platform/project/project.js';

/** docs/access-matrix.json: "METHOD /path" → who may call it. */
const matrix = JSON.parse(
  readFileSync(path.join(PROJECT_ROOT, 'docs', 'access-matrix.json'), 'utf8'),
) as { routes: Record<string, unknown> };

interface Row {
  /** The first cell without its backticks: a route ("POST /api/v1/users") or a job's name. */
  subject: string;
  isRoute: boolean;
  action: string;
  /** The dotted action names in the Action cell. */
  actions: string[];
}

/** The rows of the tables under "## What is recorded" in docs/audit.md. */
function auditTableRows(): Row[] {
  const doc = readFileSync(path.join(PROJECT_ROOT, 'docs', 'audit.md'), 'utf8');
  const start = doc.indexOf('\n## What is recorded');
  expect(start).toBeGreaterThan(-1);
  const end = doc.indexOf('\n## ', start + 1);
  const section = doc.slice(start, end === -1 ? undefined : end);
  const rows: Row[] = [];
  for (const line of section.split('\n')) {
    if (!line.startsWith('|') || /^\|\s*-/.test(line)) continue;
    const cells = line
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim());
    if (cells[0] === 'Route' || cells[0] === 'Job') continue;
    const route = /^`([A-Z]+ \/\S*)`$/.exec(cells[0]);
    rows.push({
      subject: route?.[1] ?? cells[0],
      isRoute: route !== null,
      action: cells[1] ?? '',
      actions: [...(cells[1] ?? '').matchAll(/`([a-z_]+\.[a-z_]+)`/g)].map((m) => m[1]),
    });
  }
  return rows;
}

/** Every `action: '…'` literal under src/: the actions the code can record. */
function actionsInSource(): Set<string> {
  const root = path.join(PROJECT_ROOT, 'src');
  const found = new Set<string>();
  for (const file of readdirSync(root, { recursive: true, encoding: 'utf8' })) {
    if (!file.endsWith('.ts') || file.endsWith('.spec.ts')) continue;
    const text = readFileSync(path.join(root, file), 'utf8');
    for (const m of text.matchAll(/\baction: '([a-z_]+\.[a-z_]+)'/g)) found.add(m[1]);
  }
  return found;
}

/**
 * docs/audit.md's inventory is the audit decision of every route: a route that changes state
 * (anything but GET) without a row there, recorded or not with a reason, fails here; so does
 * an action recorded in the code but not documented, or documented but never recorded.
 */
describe('audit coverage: docs/audit.md against the routes and the code', () => {
  const rows = auditTableRows();

  it('has a row for every route that is not a GET', () => {
    const documented = new Set(rows.filter((r) => r.isRoute).map((r) => r.subject));
    const missing = Object.keys(matrix.routes)
      .filter((route) => !route.startsWith('GET '))
      .filter((route) => !documented.has(route));
    expect(missing).toEqual([]);
  });

  it('names only routes that exist', () => {
    const stale = rows
      .filter((r) => r.isRoute && !(r.subject in matrix.routes))
      .map((r) => r.subject);
    expect(stale).toEqual([]);
  });

  it('gives every row an action, or says why it records none', () => {
    const undecided = rows
      .filter((r) => r.actions.length === 0 && !/^not recorded(:|$)/.test(r.action))
      .map((r) => r.subject);
    expect(undecided).toEqual([]);
    // "not recorded" on a route needs its reason in the same cell.
    const unexplained = rows
      .filter((r) => r.isRoute && r.actions.length === 0 && !/^not recorded: \S/.test(r.action))
      .map((r) => r.subject);
    expect(unexplained).toEqual([]);
  });

  it('documents exactly the actions the code records', () => {
    const documented = new Set(rows.flatMap((r) => r.actions));
    const code = actionsInSource();
    expect({ undocumented: [...code].filter((a) => !documented.has(a)).sort() }).toEqual({
      undocumented: [],
    });
    expect({ neverRecorded: [...documented].filter((a) => !code.has(a)).sort() }).toEqual({
      neverRecorded: [],
    });
  });
});
