/**
 * The public entry of platform/problem: what other contexts and the composition root use.
 * Inside it, files import each other directly, never through this entry. Written by
 * eslint/context-entries.js; checked by boundaries/context-imports.
 */
export {
  ProblemFilter,
  sendClientError,
  sendProblem,
} from '#src/platform/problem/problem.filter.js';
export type { ErrorDialect } from '#src/platform/problem/problem.filter.js';
export { ProblemException, ProblemType, statusTitle } from '#src/platform/problem/problem.js';
export type { InvalidParam } from '#src/platform/problem/problem.js';
export {
  badRequest,
  conflict,
  forbidden,
  httpProblem,
  invalidState,
  notFound,
  payloadTooLarge,
  rateLimited,
  requestTimeout,
  serviceUnavailable,
  staleVersion,
  unauthorized,
  unprocessable,
} from '#src/platform/problem/problems.js';
export {
  IsIsoDateTime,
  Lowercase,
  IntegerParam,
  Omittable,
  createValidationPipe,
  parseIsoDateTime,
  validationProblem,
} from '#src/platform/problem/validation.js';
