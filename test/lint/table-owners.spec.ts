/**
 * One owner per table (docs/architecture.md, "Who writes each table"): every table that a
 * migration creates is listed under exactly one context, and every statement that writes a
 * table (INSERT, UPDATE, DELETE, COPY … FROM, TRUNCATE) and every entity mapping it sits in a
 * file of that context. Reading another context's table is allowed; writing it is not.
 */
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');

function filesUnder(dir: string, suffix: string): string[] {
  return fs
    .readdirSync(path.join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(suffix))
    .map((entry) => path.relative(ROOT, path.join(entry.parentPath, entry.name)));
}

function ownershipTable(): Map<string, string> {
  const doc = fs.readFileSync(path.join(ROOT, 'docs/architecture.md'), 'utf8');
  const start = doc.indexOf('<!-- table-owners -->');
  const end = doc.indexOf('<!-- /table-owners -->');
  if (start < 0 || end < start)
    throw new Error('docs/architecture.md lost its table-owners markers');
  const owners = new Map<string, string>();
  for (const line of doc.slice(start, end).split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim());
    if (cells.length < 4 || !/^[a-z]+$/.test(cells[1])) continue;
    for (const [, table] of cells[2].matchAll(/`([a-z_]+)`/g)) {
      if (owners.has(table)) throw new Error(`${table} has two owners in docs/architecture.md`);
      owners.set(table, cells[1]);
    }
  }
  return owners;
}

function tablesCreatedByMigrations(): Set<string> {
  const tables = new Set<string>();
  for (const file of filesUnder('migrations', '.ts')) {
    const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
    for (const [, table] of text.matchAll(/CREATE TABLE (?:IF NOT EXISTS )?"?([a-z_]+)"?/g)) {
      tables.add(table);
    }
  }
  return tables;
}

const WRITES = [
  /\bINSERT\s+INTO\s+"?([a-z_]+)/gi,
  /\bUPDATE\s+"?([a-z_]+)/gi,
  /\bDELETE\s+FROM\s+"?([a-z_]+)/gi,
  /\bTRUNCATE\s+(?:TABLE\s+)?"?([a-z_]+)/gi,
  /\bCOPY\s+"?([a-z_]+)"?\s*(?:\([^)]*\))?\s*FROM\b/gi,
  /@Entity\(\s*\{\s*name:\s*'([a-z_]+)'/g,
];

/** Table → the files outside `src/<owner>/` that write it or map it. */
function writesOutsideOwners(owners: Map<string, string>): string[] {
  const found: string[] = [];
  for (const file of filesUnder('src', '.ts')) {
    if (file.endsWith('.spec.ts')) continue;
    const context = file.split(path.sep)[1];
    const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
    for (const pattern of WRITES) {
      for (const [statement, table] of text.matchAll(pattern)) {
        const owner = owners.get(table.toLowerCase());
        if (owner !== undefined && owner !== context) {
          found.push(`${file}: ${statement.trim()} (owner: ${owner})`);
        }
      }
    }
  }
  return found;
}

describe('one owner per table', () => {
  const owners = ownershipTable();

  it('lists every table a migration creates, once', () => {
    const created = [...tablesCreatedByMigrations()].sort();
    expect(created.length).toBeGreaterThan(20);
    expect(created.filter((table) => !owners.has(table))).toEqual([]);
    expect([...owners.keys()].filter((table) => !created.includes(table))).toEqual([]);
  });

  it('names only contexts that exist under src/', () => {
    for (const context of new Set(owners.values())) {
      expect(fs.existsSync(path.join(ROOT, 'src', context))).toBe(true);
    }
  });

  it('has every write and entity of a table inside its owner', () => {
    expect(writesOutsideOwners(owners)).toEqual([]);
  });

  it('would see a write in the wrong context', () => {
    const moved = new Map(owners);
    moved.set('feed_log', 'obligations');
    expect(writesOutsideOwners(moved).some((line) => line.includes('feed_log'))).toBe(true);
  });
});
