// @ts-check
/**
 * Writes the public entries (src/<context>/index.ts, src/platform/<lib>/index.ts) from what the
 * other contexts and the composition root import, and rewrites those imports to go through the
 * entries: `node eslint/context-entries.js`, then `npx prettier --write src`. Run it again after
 * adding a cross-context import (or merging a branch that deep-imports): an entry keeps what is
 * imported through it and gains what is imported deeply. Imports that boundaries/context-imports
 * refuses for another reason (upward, the composition root) are listed and nothing is written.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { ROOT, placeOf, problemWith, targetOf } from './context-boundaries.js';

/** @param {string} dir @returns {string[]} paths from ROOT */
function sourceFiles(dir) {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return sourceFiles(rel);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [rel] : [];
  });
}

const files = sourceFiles('src');
/** @param {string} file */
const parse = (file) =>
  ts.createSourceFile(
    file,
    readFileSync(path.join(ROOT, file), 'utf8'),
    ts.ScriptTarget.Latest,
    true,
  );

/** The names each existing entry re-exports, and from which file. @type {Map<string, Map<string, string>>} */
const existing = new Map();
for (const file of files.filter((f) => f.endsWith('/index.ts'))) {
  const names = new Map();
  for (const statement of parse(file).statements) {
    if (!ts.isExportDeclaration(statement) || !statement.moduleSpecifier) continue;
    const from = targetOf(/** @type {ts.StringLiteral} */ (statement.moduleSpecifier).text, file);
    if (from === null || !statement.exportClause || !ts.isNamedExports(statement.exportClause)) {
      throw new Error(`${file}: only \`export { … } from '#src/…'\` is expected in an entry`);
    }
    for (const element of statement.exportClause.elements) names.set(element.name.text, from);
  }
  existing.set(file, names);
}

/** Per entry: name -> { file, value (imported as a value somewhere) }. @type {Map<string, Map<string, { file: string, value: boolean }>>} */
const entries = new Map();
/** Per importing file: the import declarations to rewrite. */
const rewrites = new Map();
const refused = [];

for (const file of files) {
  if (placeOf(file) === null && !file.startsWith('src/')) continue;
  const source = parse(file);
  for (const statement of source.statements) {
    if (!ts.isImportDeclaration(statement) && !ts.isExportDeclaration(statement)) continue;
    const specifier = statement.moduleSpecifier;
    if (!specifier || !ts.isStringLiteral(specifier)) continue;
    const target = targetOf(specifier.text, file);
    if (target === null) continue;
    const to = placeOf(target);
    const problem = problemWith(file, target);
    const viaEntry = to !== null && !to.root && target === to.entry;
    if (problem !== null && !problem.startsWith('Import ')) {
      refused.push(`${file}: ${problem}`);
      continue;
    }
    if (problem === null && !viaEntry) continue;
    if (
      problem === null &&
      viaEntry &&
      placeOf(file)?.root === false &&
      placeOf(file)?.unit === to.unit
    )
      continue;
    if (!ts.isImportDeclaration(statement)) {
      refused.push(
        `${file}: a re-export across contexts (${specifier.text}); import and use it instead`,
      );
      continue;
    }
    const clause = statement.importClause;
    const named = clause?.namedBindings;
    if (!clause || clause.name || !named || !ts.isNamedImports(named)) {
      refused.push(`${file}: only named imports can go through an entry (${specifier.text})`);
      continue;
    }
    if (to === null || to.root) continue;
    const entry = entries.get(to.entry) ?? new Map();
    entries.set(to.entry, entry);
    const names = [];
    for (const element of named.elements) {
      const name = (element.propertyName ?? element.name).text;
      const typeOnly = clause.isTypeOnly || element.isTypeOnly;
      const from = viaEntry ? existing.get(to.entry)?.get(name) : target;
      if (from === undefined) {
        refused.push(`${file}: ${name} is not exported by ${to.entry}`);
        continue;
      }
      const known = entry.get(name);
      if (known && known.file !== from) refused.push(`${to.entry}: ${name} from two files`);
      entry.set(name, { file: from, value: (known?.value ?? false) || !typeOnly });
      names.push({ text: element.getText(source).replace(/^type\s+/, ''), typeOnly });
    }
    const list = rewrites.get(file) ?? [];
    list.push({ statement, entry: to.entry, unit: to.unit, names });
    rewrites.set(file, list);
  }
}

if (refused.length > 0) {
  console.error(refused.join('\n'));
  process.exit(1);
}

// An entry re-exports a name that is only a type with `export type` (isolatedModules).
const program = ts.createProgram(
  [
    ...new Set(
      [...entries.values()].flatMap((m) => [...m.values()].map((v) => path.join(ROOT, v.file))),
    ),
  ],
  {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    experimentalDecorators: true,
    noEmit: true,
  },
);
const checker = program.getTypeChecker();
/** @param {string} file @param {string} name */
function isValue(file, name) {
  const source = program.getSourceFile(path.join(ROOT, file));
  const module = source && checker.getSymbolAtLocation(source);
  const symbol = module && checker.getExportsOfModule(module).find((s) => s.name === name);
  if (!symbol) throw new Error(`${file} does not export ${name}`);
  const resolved = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
  return (resolved.flags & ts.SymbolFlags.Value) !== 0;
}

for (const [entry, names] of [...entries].sort(([a], [b]) => a.localeCompare(b))) {
  const unit = entry.slice('src/'.length, -'/index.ts'.length);
  const byFile = new Map();
  for (const [name, { file, value }] of names) {
    const group = byFile.get(file) ?? { values: [], types: [] };
    (value && isValue(file, name) ? group.values : group.types).push(name);
    byFile.set(file, group);
  }
  const lines = [
    '/**',
    ` * The public entry of ${unit}: what other contexts and the composition root use.`,
    ' * Inside it, files import each other directly, never through this entry. Written by',
    ' * eslint/context-entries.js; checked by boundaries/context-imports.',
    ' */',
  ];
  for (const [file, { values, types }] of [...byFile].sort(([a], [b]) => a.localeCompare(b))) {
    const specifier = `#src/${file.slice('src/'.length).replace(/\.ts$/, '.js')}`;
    if (values.length) lines.push(`export { ${values.sort().join(', ')} } from '${specifier}';`);
    if (types.length) lines.push(`export type { ${types.sort().join(', ')} } from '${specifier}';`);
  }
  writeFileSync(path.join(ROOT, entry), `${lines.join('\n')}\n`);
  console.log(`${entry}: ${names.size} names`);
}

for (const [file, list] of rewrites) {
  let text = readFileSync(path.join(ROOT, file), 'utf8');
  /** One import declaration per entry, where its first import was. */
  const merged = new Map();
  for (const item of list) {
    const names = merged.get(item.entry) ?? [];
    for (const name of item.names) {
      if (!names.some((n) => n.text === name.text)) names.push({ ...name });
      else if (!name.typeOnly) names.find((n) => n.text === name.text).typeOnly = false;
    }
    merged.set(item.entry, names);
  }
  const edits = [];
  const written = new Set();
  for (const item of list) {
    const start = item.statement.getStart();
    const end = item.statement.getEnd();
    if (written.has(item.entry)) {
      // Drop this declaration and its line break.
      edits.push({ start, end: text[end] === '\n' ? end + 1 : end, text: '' });
      continue;
    }
    written.add(item.entry);
    const names = merged.get(item.entry);
    const allTypes = names.every((n) => n.typeOnly);
    const inner = names
      .map((n) => (n.typeOnly && !allTypes ? `type ${n.text}` : n.text))
      .join(', ');
    edits.push({
      start,
      end,
      text: `import ${allTypes ? 'type ' : ''}{ ${inner} } from '#src/${item.unit}/index.js';`,
    });
  }
  for (const edit of edits.sort((a, b) => b.start - a.start)) {
    text = text.slice(0, edit.start) + edit.text + text.slice(edit.end);
  }
  writeFileSync(path.join(ROOT, file), text);
}
console.log(`${rewrites.size} files rewritten`);
