// Rewrites the table of docs/access-matrix.md from docs/access-matrix.json (the roles are the
// columns, in the order of src/identity/auth/roles.ts): `node test/support/render-access-matrix.ts`,
// then `npx prettier --write docs/access-matrix.md`. test/e2e/access-matrix.e2e-spec.ts checks both.
import { readFileSync, writeFileSync } from 'node:fs';
import { URL } from 'node:url';

const root = new URL('../../', import.meta.url);
const rolesSource = readFileSync(new URL('src/identity/auth/roles.ts', root), 'utf8');
const roles = [
  ...(/export const ROLES = \[([^\]]*)\]/.exec(rolesSource)?.[1] ?? '').matchAll(/'([a-z_]+)'/g),
].map((m) => m[1]);
const matrix = JSON.parse(readFileSync(new URL('docs/access-matrix.json', root), 'utf8')) as {
  routes: Record<string, 'public' | string[]>;
};
const mdUrl = new URL('docs/access-matrix.md', root);
const lines = readFileSync(mdUrl, 'utf8').split('\n');
const start = lines.findIndex((l) => l.startsWith('| Route'));
const endAt = lines.findIndex((l, i) => i > start && !l.startsWith('|'));
const end = endAt === -1 ? lines.length : endAt;
const table = [
  `| Route | ${roles.join(' | ')} |`,
  `| --- | ${roles.map(() => '---').join(' | ')} |`,
];
for (const [route, rule] of Object.entries(matrix.routes)) {
  if (route.startsWith('GET /api/docs/')) continue;
  const cells = roles.map((r) => (rule === 'public' ? 'public' : rule.includes(r) ? '✓' : ''));
  table.push(`| \`${route}\` | ${cells.join(' | ')} |`);
}
writeFileSync(mdUrl, [...lines.slice(0, start), ...table, ...lines.slice(end)].join('\n'));
