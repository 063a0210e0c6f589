import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ProblemException, ErrorDialect } from '#src/platform/problem/index.js';

/** TAXII 2.1 media types: TAXII resources, and the STIX 2.1 content they carry. */
export const TAXII_MEDIA_TYPE = 'application/taxii+json;version=2.1';
export const STIX_MEDIA_TYPE = 'application/stix+json;version=2.1';

/** Where the TAXII server lives (outside /api/v1, as TAXII clients expect `/taxii2/`). */
export const TAXII_ROOT = '/taxii2/';
export const API_ROOT_NAME = 'feeds';
export const API_ROOT = `${TAXII_ROOT}${API_ROOT_NAME}/`;

export function isTaxiiRequest(request: FastifyRequest): boolean {
  return request.url === '/taxii2' || request.url.startsWith(TAXII_ROOT);
}

/**
 * Whether an Accept header admits `application/taxii+json;version=2.1` (content negotiation,
 * TAXII 2.1 §3): `*\/*`, `application/*`, `application/taxii+json` without a version or with
 * version 2.1; a range with q=0 refuses. No Accept header at all is taken as "anything".
 */
export function acceptsTaxii(accept: string | undefined): boolean {
  if (accept === undefined || accept.trim() === '') return true;
  return accept.split(',').some((range) => {
    const [type = '', ...parameters] = range.split(';').map((p) => p.trim().toLowerCase());
    const params = new Map(
      parameters.map((p) => {
        const eq = p.indexOf('=');
        return [
          p.slice(0, eq).trim(),
          p
            .slice(eq + 1)
            .trim()
            .replace(/^"|"$/g, ''),
        ] as const;
      }),
    );
    if (params.get('q') !== undefined && Number(params.get('q')) === 0) return false;
    if (type === '*/*' || type === 'application/*') return true;
    if (type !== 'application/taxii+json') return false;
    const version = params.get('version');
    return version === undefined || version === '2.1';
  });
}

/**
 * An error as the TAXII 2.1 error message resource ("error": title, description,
 * http_status, error_code), with the TAXII media type: every /taxii2/ response, errors included,
 * is `application/taxii+json;version=2.1`. The problem's headers (WWW-Authenticate,
 * Retry-After) are kept.
 */
export function sendTaxiiError(
  request: FastifyRequest,
  reply: FastifyReply,
  problem: ProblemException,
): void {
  const status = problem.getStatus();
  const body = {
    title: problem.title,
    ...(problem.detail === undefined ? {} : { description: problem.detail }),
    error_id: request.id,
    error_code: problem.type,
    http_status: String(status),
  };
  void reply
    .status(status)
    .headers(problem.headers)
    .header('content-type', TAXII_MEDIA_TYPE)
    .send(Buffer.from(JSON.stringify(body))); // a Buffer: the media type goes out as set
}

/** Problems of /taxii2/ requests answered as TAXII errors: installed by app.factory. */
export const TAXII_ERROR_DIALECT: ErrorDialect = {
  sendProblem(request, reply, problem) {
    if (!isTaxiiRequest(request)) return false;
    sendTaxiiError(request, reply, problem);
    return true;
  },
};
