import { auditVerify } from '#src/audit/offline-verifier/cli.js';

/**
 * The entry of the bundled offline verifier, verifier/threat-exchange-verify.mjs (`npm run
 * verifier:build`, docs/audit.md#the-standalone-verifier): one file an authority runs with
 * Node.js alone, `node threat-exchange-verify.mjs export.zip --public-key key.pem`.
 */
process.exitCode = await auditVerify(
  process.argv.slice(2),
  undefined,
  'node threat-exchange-verify.mjs',
);
