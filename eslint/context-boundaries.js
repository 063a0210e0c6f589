// @ts-check
/**
 * boundaries/context-imports: the bounded contexts of src/ (docs/architecture.md) import each
 * other only downward and only through public entries.
 *
 * - A context is a folder of src/ named in DEPENDS_ON; the platform is one entry per library
 *   (src/platform/<lib>/index.ts), every other context one entry (src/<context>/index.ts).
 * - A file of context A imports context B only through B's entry (platform: the lib's entry),
 *   and only if A depends on B, directly or through others (so never upward, and never in a
 *   cycle: the declared graph is checked to be acyclic when this file loads).
 * - Inside a context (a platform lib), files import each other directly, never through their
 *   own entry (that would be a cycle through the entry).
 * - The composition root (src/app/, src/main.ts, src/cli.ts) imports any context, through its
 *   entry; no context imports the composition root.
 * - test/, bench/ and migrations/ are not restricted. Type-only imports count like the others.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is in eslint/). */
export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** What each context may import, besides itself: the one right below it (and, through it, those below). */
export const DEPENDS_ON = {
  platform: [],
  identity: ['platform'],
  audit: ['identity'],
  messaging: ['audit'],
  feeds: ['messaging'],
  publishing: ['feeds'],
  obligations: ['publishing'],
  response: ['obligations'],
};

const ROOT_FILES = ['src/main.ts', 'src/cli.ts'];

/**
 * Every context each context may import (the transitive closure of DEPENDS_ON); throws if the
 * declared graph names an unknown context or has a cycle.
 * @param {Record<string, string[]>} graph
 * @returns {Map<string, Set<string>>}
 */
export function reachable(graph) {
  /** @type {Map<string, Set<string>>} */
  const below = new Map();
  /** @type {Set<string>} */
  const visiting = new Set();
  /** @param {string} context @param {string[]} trail */
  const visit = (context, trail) => {
    const known = below.get(context);
    if (known) return known;
    if (!(context in graph)) throw new Error(`context-boundaries: unknown context ${context}`);
    if (visiting.has(context)) {
      throw new Error(
        `context-boundaries: the declared order has a cycle: ${[...trail, context].join(' -> ')}`,
      );
    }
    visiting.add(context);
    /** @type {Set<string>} */
    const all = new Set();
    for (const next of graph[context]) {
      all.add(next);
      for (const further of visit(next, [...trail, context])) all.add(further);
    }
    visiting.delete(context);
    below.set(context, all);
    return all;
  };
  for (const context of Object.keys(graph)) visit(context, []);
  return below;
}

const MAY_IMPORT = reachable(DEPENDS_ON);

/**
 * Where a file of the repository sits: the composition root, a unit of a context (a context,
 * or a platform lib) with its entry, or nowhere restricted (null).
 * @param {string} file the path from the repository root, with forward slashes
 * @returns {{ root: true } | { root: false, context: string, unit: string, entry: string } | null}
 */
export function placeOf(file) {
  if (ROOT_FILES.includes(file) || file.startsWith('src/app/')) return { root: true };
  const parts = file.split('/');
  if (parts[0] !== 'src' || parts.length < 3 || !(parts[1] in DEPENDS_ON)) return null;
  const context = parts[1];
  const unit = context === 'platform' ? `platform/${parts[2]}` : context;
  return { root: false, context, unit, entry: `src/${unit}/index.ts` };
}

/**
 * The repository file a specifier names (`#src/x/y.js` -> `src/x/y.ts`), or null for a package.
 * @param {string} specifier
 * @param {string} from the importing file, from the repository root
 */
export function targetOf(specifier, from) {
  let target;
  if (specifier.startsWith('#src/')) target = `src/${specifier.slice('#src/'.length)}`;
  else if (specifier.startsWith('.')) target = path.posix.join(path.posix.dirname(from), specifier);
  else return null;
  return target.replace(/\.js$/, '.ts');
}

/** @param {string} unit */
const entrySpecifier = (unit) => `#src/${unit}/index.js`;

/**
 * What is wrong with `file` importing `target`, or null.
 * @param {string} file
 * @param {string} target
 * @returns {string | null}
 */
export function problemWith(file, target) {
  const from = placeOf(file);
  const to = placeOf(target);
  if (from === null || to === null) return null;
  if (to.root) {
    if (from.root) return null;
    return `${file} is in context ${from.context}, which must not import the composition root (${target}): move what it needs into the context that owns it, or have the root pass it in.`;
  }
  if (!from.root && from.unit === to.unit) {
    if (target !== to.entry) return null;
    return `Inside ${to.unit}, import the file that defines the name (#src/${to.unit}/<folder>/<file>.js), not ${to.unit}'s own entry: that would import in a cycle.`;
  }
  if (!from.root && from.context !== to.context && !MAY_IMPORT.get(from.context)?.has(to.context)) {
    const allowed = [...(MAY_IMPORT.get(from.context) ?? [])].join(', ') || 'no other context';
    return `Context ${from.context} must not import ${to.context} (${target}): contexts import only downward (${from.context} may import ${allowed}; see DEPENDS_ON in eslint/context-boundaries.js). Move the shared piece down into ${from.context} or below, or invert the dependency (a port in the lower context that ${to.context} implements, or a hook the composition root installs).`;
  }
  if (target === to.entry) return null;
  return `Import ${to.unit} through its public entry ${entrySpecifier(to.unit)}, not ${target}: export the name from src/${to.unit}/index.ts if it is not there yet.`;
}

/** @type {import('eslint').Rule.RuleModule} */
const contextImports = {
  meta: {
    type: 'problem',
    docs: {
      description:
        'Contexts import each other only downward, through their public entries (src/<context>/index.ts, src/platform/<lib>/index.ts)',
    },
    schema: [],
  },
  create(context) {
    const file = path.relative(ROOT, context.filename).split(path.sep).join('/');
    if (placeOf(file) === null) return {};
    /** @param {import('estree').Node} node @param {unknown} source */
    const check = (node, source) => {
      if (typeof source !== 'string') return;
      const target = targetOf(source, file);
      if (target === null) return;
      const message = problemWith(file, target);
      if (message !== null) context.report({ node, message });
    };
    return {
      ImportDeclaration: (node) => check(node, node.source.value),
      ExportNamedDeclaration: (node) => check(node, node.source?.value),
      ExportAllDeclaration: (node) => check(node, node.source.value),
      ImportExpression: (node) =>
        check(node, node.source.type === 'Literal' ? node.source.value : undefined),
      /** `import('…').Type` in a type position. @param {any} node */
      TSImportType: (node) => check(node, node.argument?.literal?.value ?? node.source?.value),
    };
  },
};

export default {
  meta: { name: 'context-boundaries' },
  rules: { 'context-imports': contextImports },
};
