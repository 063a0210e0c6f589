#!/usr/bin/env node
// `threat-exchange <command>` (package.json "bin"; `npx --no-install threat-exchange …` in the
// repository): the commands shipped for people outside the service, today audit-verify. It runs
// the build: #src/ resolves to dist/src/. Committed with its executable bit, so that npm can run
// it however dist/ was built. It loads neither Nest nor a database driver: it starts at once.
let cli;
try {
  cli = await import('#src/audit/offline-verifier/cli.js');
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.url).includes('/dist/')) throw error;
  process.stderr.write('threat-exchange: the build is missing: run npm run build first\n');
  process.exit(2);
}
process.exitCode = await cli.run(process.argv.slice(2));
