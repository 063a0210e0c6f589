#!/usr/bin/env node
// `threat-exchange <command>` (package.json "bin"; `npx --no-install threat-exchange …` in the
// repository): audit-verify, for people outside the service, and the administration commands
// org:add-isp and user:add (docs/onboarding.md). It runs the build: #src/ resolves to dist/src/.
// Committed with its executable bit, so that npm can run it however dist/ was built. A command's
// code is loaded only when it runs: audit-verify loads neither Nest nor a database driver, and
// starts at once.
const USAGE = `usage: threat-exchange <command> [options]    (threat-exchange <command> --help: its options)

  audit-verify <export.zip> --public-key <key.pem>
        verify an audit export offline: no database, no service (docs/audit.md)
  org:add-isp --short-code <CODE> --name <name> [--operator-email <e-mail> --operator-name <name>]
        create an ISP: its organization, first operator and API client (docs/onboarding.md)
  user:add --org <CODE> --email <e-mail> --name <name> --role <role>...
        create a person in an organization (docs/onboarding.md)`;

const ADMIN_COMMANDS = ['org:add-isp', 'user:add'];

/** The module of a command, from the build. */
async function load(specifier) {
  try {
    return await import(specifier);
  } catch (error) {
    if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.url).includes('/dist/'))
      throw error;
    process.stderr.write('threat-exchange: the build is missing: run npm run build first\n');
    process.exit(2);
  }
}

const [command, ...args] = process.argv.slice(2);
if (command === 'audit-verify') {
  const verifier = await load('#src/audit/offline-verifier/cli.js');
  process.exitCode = await verifier.auditVerify(args);
} else if (ADMIN_COMMANDS.includes(command)) {
  const admin = await load('#src/app/admin/admin-cli.js');
  process.exitCode = await admin.runAdmin(command, args);
} else if (command === '--help' || command === '-h' || command === 'help') {
  process.stdout.write(`${USAGE}\n`);
} else {
  process.stderr.write(
    `${command === undefined ? 'no command given' : `unknown command ${command}`}\n\n${USAGE}\n`,
  );
  process.exitCode = 2;
}
