#!/usr/bin/env node
// `threat-exchange audit-verify …` (package.json "bin"): the offline verifier, without the
// service (no Nest, no database driver), so that it starts at once and runs anywhere Node does.
import { run } from '#src/audit-verify/cli.js';

process.exitCode = await run(process.argv.slice(2));
