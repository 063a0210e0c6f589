import createClient from 'openapi-fetch';
import type { components, paths } from './schema.gen';
import { ProblemError, type Problem } from './problem';
import { refreshSession, sessionState } from './session';

/** The API's schemas, generated from docs/openapi.json at build time (web/src/api/schema.gen.ts). */
export type Schemas = components['schemas'];

/**
 * The one way the console talks to the service: typed from the committed OpenAPI document,
 * so that an API change that breaks a screen fails `npm run build`.
 */
export const api = createClient<paths>({ baseUrl: '' });

api.use({
  onRequest({ request }) {
    const token = sessionState().accessToken;
    if (token && !request.headers.has('authorization')) {
      request.headers.set('authorization', `Bearer ${token}`);
    }
    return request;
  },
});

interface FetchResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/**
 * Runs one API call and gives its data, or throws a ProblemError with the API's problem. A 401
 * renews the session with the refresh token once and repeats the call.
 */
export async function call<T>(send: () => Promise<FetchResult<T>>): Promise<T> {
  let result = await send();
  if (result.response.status === 401 && sessionState().accessToken) {
    // refreshSession ends the session itself when the refresh token is refused; a failed
    // renewal for another reason (network, 5xx) leaves the 401 to be shown and retried.
    if (await refreshSession()) result = await send();
  }
  if (!result.response.ok) {
    const problem = (result.error ?? {}) as Problem;
    throw new ProblemError(result.response.status, {
      status: result.response.status,
      ...(typeof problem === 'object' ? problem : { detail: String(problem) }),
    });
  }
  return result.data as T;
}

type QueryOf<P extends keyof paths, M extends 'get' | 'post'> = paths[P][M] extends {
  parameters: { query?: infer Q };
}
  ? Q
  : never;

/**
 * The URL of an operation the console calls outside openapi-fetch (a download saved as a file,
 * an upload with progress): its path and query parameters typed from the OpenAPI document, so
 * that a renamed route or parameter fails the build here too.
 */
export function apiUrl<P extends keyof paths, M extends 'get' | 'post' = 'get'>(
  path: P,
  query: QueryOf<P, M>,
  _method?: M,
): string {
  const search = new URLSearchParams();
  // Query parameters are strings, numbers and booleans (the document has no objects there).
  const entries: [string, unknown][] = Object.entries(query ?? {});
  for (const [name, value] of entries) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
      search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `${path}?${text}` : path;
}

/**
 * A download (CSV, PDF, ZIP) with the session's token: fetched as a Blob and saved under the
 * name the service gives (Content-Disposition) or `fallbackName`.
 */
export async function download(url: string, fallbackName: string): Promise<void> {
  const get = () =>
    fetch(url, { headers: { authorization: `Bearer ${sessionState().accessToken ?? ''}` } });
  let response = await get();
  if (response.status === 401 && (await refreshSession())) response = await get();
  if (!response.ok) {
    const problem = (await response.json().catch(() => ({}))) as Problem;
    throw new ProblemError(response.status, { status: response.status, ...problem });
  }
  const disposition = response.headers.get('content-disposition') ?? '';
  const name = /filename="?([^";]+)"?/.exec(disposition)?.[1] ?? fallbackName;
  const href = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = href;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(href), 10_000);
}
