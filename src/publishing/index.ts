/**
 * The public entry of publishing: what other contexts and the composition root use.
 * Inside it, files import each other directly, never through this entry. Written by
 * eslint/context-entries.js; checked by boundaries/context-imports.
 */
export {
  BlockingRequestEntity,
  BlockingRequestItemEntity,
  ITEM_OPERATIONS,
} from '#src/publishing/blocking-requests/blocking-request.entity.js';
export type { RequestStatus } from '#src/publishing/blocking-requests/blocking-request.entity.js';
export { BlockingRequestsModule } from '#src/publishing/blocking-requests/blocking-requests.module.js';
export { BlockingRequestsService } from '#src/publishing/blocking-requests/blocking-requests.service.js';
export { PublishedRequests } from '#src/publishing/blocking-requests/published-requests.service.js';
export { RequestAssignments } from '#src/publishing/blocking-requests/request-assignments.js';
export { ImportJobEntity } from '#src/publishing/imports/import-job.entity.js';
export {
  INDICATOR_TYPES,
  canonicalCidr,
  canonicalIpv4,
  canonicalIpv6,
  canonicalize,
  canonicalizeUntyped,
  refusalReason,
} from '#src/publishing/indicators/canonical.js';
export type { IndicatorType } from '#src/publishing/indicators/canonical.js';
export { TAG_PATTERN } from '#src/publishing/indicators/indicator-attributes.js';
export { IndicatorEntity } from '#src/publishing/indicators/indicator.entity.js';
export { IndicatorsService } from '#src/publishing/indicators/indicators.service.js';
export {
  ProtectedEntryEntity,
  ProtectedListEntity,
} from '#src/publishing/protected-lists/protected-list.entity.js';
export { ProtectedListsModule } from '#src/publishing/protected-lists/protected-lists.module.js';
export { ProtectedListsService } from '#src/publishing/protected-lists/protected-lists.service.js';
export { PublishingConfig } from '#src/publishing/publishing.config.js';
export { PublishingModule } from '#src/publishing/publishing.module.js';
