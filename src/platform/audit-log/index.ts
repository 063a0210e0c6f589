/**
 * The public entry of platform/audit-log: what other contexts and the composition root use.
 * Inside it, files import each other directly, never through this entry. Written by
 * eslint/context-entries.js; checked by boundaries/context-imports.
 */
export { AuditLog } from '#src/platform/audit-log/audit-log.js';
export type { AuditEventInput } from '#src/platform/audit-log/audit-log.js';
export { fieldChanges } from '#src/platform/audit-log/field-changes.js';
