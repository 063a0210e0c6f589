// `npm run verifier:build`: bundles the offline verifier of audit exports
// (src/audit/offline-verifier/) into one file that runs with Node.js alone,
// verifier/threat-exchange-verify.mjs (docs/audit.md#the-standalone-verifier). The output is
// deterministic (no time, no absolute path), so that anybody can rebuild it from the
// repository and get the same bytes and SHA-256; a test checks that the committed file is what
// this script makes. `--outfile <file>` writes elsewhere (the test's fresh build).
import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as esbuild from 'esbuild';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ENTRY = 'src/audit/offline-verifier/standalone.ts';
export const OUTFILE = path.join(ROOT, 'verifier', 'threat-exchange-verify.mjs');

/** `#src/x/y.js` (package.json "imports") is the TypeScript source src/x/y.ts. */
const sourceImports = {
  name: 'source-imports',
  setup(build) {
    build.onResolve({ filter: /^#src\// }, (args) => ({
      path: path.join(ROOT, 'src', args.path.slice('#src/'.length).replace(/\.js$/, '.ts')),
    }));
  },
};

/** Name, version and licence of every package the bundle holds (from the metafile). */
function bundledPackages(metafile) {
  const seen = new Map();
  for (const input of Object.keys(metafile.inputs)) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (!match || seen.has(match[1])) continue;
    const manifest = JSON.parse(
      readFileSync(path.join(ROOT, 'node_modules', match[1], 'package.json'), 'utf8'),
    );
    seen.set(match[1], `${manifest.name} ${manifest.version} (${manifest.license})`);
  }
  return [...seen.values()].sort();
}

const BUILD_OPTIONS = {
  absWorkingDir: ROOT,
  entryPoints: [ENTRY],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // node: built-ins stay imports; everything else (csv-parse, yauzl, #src/) is inlined.
  packages: 'bundle',
  minify: false,
  legalComments: 'none',
  charset: 'utf8',
  plugins: [sourceImports],
  logLevel: 'warning',
};

/** The bundle's text: a banner saying what it is and how it was made, then the code. */
export async function buildVerifier() {
  // A first pass finds the packages to name in the banner; the second writes with it.
  const probe = await esbuild.build({ ...BUILD_OPTIONS, write: false, metafile: true });
  const packages = bundledPackages(probe.metafile);
  const { version } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const banner = [
    '#!/usr/bin/env node',
    `// threat-exchange-verify.mjs: the offline verifier of threat-exchange audit exports`,
    `// (threat-exchange ${version}), one file that needs only Node.js 22 or newer (tested on 22 and 24):`,
    '//   node threat-exchange-verify.mjs export.zip --public-key key.pem',
    '// Exit status 0: verified; 1: the export does not verify (the reason on stderr); 2: usage.',
    `// Built by \`npm run verifier:build\` (verifier/build.js) with esbuild ${esbuild.version} from`,
    `// ${ENTRY} and the repository's src/; rebuilding gives the same bytes.`,
    '// Bundled packages, under their licences (MIT: permission notice at https://opensource.org/license/mit):',
    ...packages.map((p) => `//   ${p}`),
    // CommonJS packages (yauzl) call require() for Node's built-ins.
    "import { createRequire as __createRequire } from 'node:module';",
    'const require = __createRequire(import.meta.url);',
  ].join('\n');
  const result = await esbuild.build({ ...BUILD_OPTIONS, write: false, banner: { js: banner } });
  return result.outputFiles[0].text;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { outfile: { type: 'string' } } });
  const outfile = path.resolve(values.outfile ?? OUTFILE);
  const text = await buildVerifier();
  const { writeFileSync } = await import('node:fs');
  writeFileSync(outfile, text, { mode: 0o755 });
  const sha256 = createHash('sha256').update(text).digest('hex');
  process.stdout.write(
    `wrote ${path.relative(process.cwd(), outfile)}: ${Buffer.byteLength(text)} bytes, SHA-256 ${sha256}\n`,
  );
}
