import { apiUrl, type Schemas } from '../../api/client';
import { ProblemError, type Problem } from '../../api/problem';
import { refreshSession, sessionState } from '../../api/session';

export type ImportJob = Schemas['ImportJobResponse'];

export interface ImportOptions {
  mode: 'reject' | 'skip';
  tags?: string;
  tlp?: Schemas['IndicatorResponse']['tlp'];
  source?: string;
  confidence?: number;
}

/** The body's media type, from the file's extension (the API's three formats). */
export function contentTypeOf(name: string): string {
  const lower = name.toLowerCase();
  if (lower.endsWith('.json')) return 'application/json';
  if (lower.endsWith('.csv')) return 'text/csv';
  return 'text/plain';
}

function send(
  url: string,
  file: File,
  onProgress: (percent: number) => void,
): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url);
    xhr.setRequestHeader('authorization', `Bearer ${sessionState().accessToken ?? ''}`);
    xhr.setRequestHeader('content-type', contentTypeOf(file.name));
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) onProgress(Math.round((e.loaded / e.total) * 100));
    };
    xhr.onload = () => {
      let body: unknown;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = { detail: xhr.responseText };
      }
      resolve({ status: xhr.status, body });
    };
    // No detail of its own: the alert's title says the server cannot be reached, in the
    // chosen language.
    xhr.onerror = () => reject(new Error(''));
    xhr.send(file);
  });
}

/**
 * POST /api/v1/imports with the file as the body (streamed by the browser, not read into
 * memory), through XMLHttpRequest so that the bytes sent can be shown. A 401 renews the session
 * once and sends again.
 */
export async function uploadImport(
  file: File,
  options: ImportOptions,
  onProgress: (percent: number) => void,
): Promise<ImportJob> {
  const url = apiUrl(
    '/api/v1/imports',
    {
      mode: options.mode,
      tags: options.tags || undefined,
      tlp: options.tlp || undefined,
      source: options.source || undefined,
      confidence: options.confidence ?? undefined,
    },
    'post',
  );
  let answer = await send(url, file, onProgress);
  if (answer.status === 401 && (await refreshSession())) answer = await send(url, file, onProgress);
  if (answer.status < 200 || answer.status >= 300) {
    throw new ProblemError(answer.status, { status: answer.status, ...(answer.body as Problem) });
  }
  return answer.body as ImportJob;
}
