import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { PROJECT_ROOT } from '#src/platform/project/project.js';

/** The OASIS STIX 2.1 JSON schemas in the reference material next to the checkout. */
export const STIX_SCHEMAS_DIR = path.resolve(
  PROJECT_ROOT,
  '..',
  'shared',
  'data',
  'stix2.1-schemas',
  'schemas',
);

const BASE = 'http://raw.githubusercontent.com/oasis-open/cti-stix2-json-schemas/stix2.1/schemas/';

export type StixValidator = (value: unknown) => string[];

/**
 * A validator for one schema (`common/bundle.json`, `sdos/indicator.json`, …) with every
 * schema of the folder loaded, so their relative `$ref`s resolve. Answers the errors, [] when
 * valid.
 */
export function stixValidator(schema: string): StixValidator {
  const ajv = new Ajv2020({ strict: false, allErrors: true, unicodeRegExp: false });
  addFormats.default(ajv);
  // ajv-formats has no IDN hostnames; only domain-name observables use it, and we send none.
  ajv.addFormat('idn-hostname', true);
  for (const folder of readdirSync(STIX_SCHEMAS_DIR)) {
    for (const file of readdirSync(path.join(STIX_SCHEMAS_DIR, folder))) {
      if (!file.endsWith('.json')) continue;
      ajv.addSchema(
        JSON.parse(readFileSync(path.join(STIX_SCHEMAS_DIR, folder, file), 'utf8')) as object,
      );
    }
  }
  const validate = ajv.getSchema(BASE + schema);
  if (!validate) throw new Error(`no schema ${schema} in ${STIX_SCHEMAS_DIR}`);
  return (value) => {
    if (validate(value)) return [];
    return (validate.errors ?? []).map(
      (e: ErrorObject) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`,
    );
  };
}
