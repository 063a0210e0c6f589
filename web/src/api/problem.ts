/** An RFC 9457 problem as the API answers it (docs/decisions/0003-errors.md). */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  /** The fields at fault (the API's `invalid-params`, RFC 9457 §3). */
  'invalid-params'?: { name?: string; reason?: string }[];
  errors?: { name?: string; reason?: string }[];
  [extension: string]: unknown;
}

/** Thrown by the API client for every non-2xx answer; carries the problem the API gave. */
export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
    this.name = 'ProblemError';
  }
}

/** The problem inside whatever a request threw (a network failure has status 0). */
export function problemOf(error: unknown): ProblemError {
  if (error instanceof ProblemError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new ProblemError(0, { title: 'Network error', detail: message });
}
