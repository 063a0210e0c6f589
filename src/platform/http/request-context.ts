import { AsyncLocalStorage } from 'node:async_hooks';

/** What the audit trail records of the HTTP request behind a change. */
export interface RequestContext {
  requestId: string;
  clientIp: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** Runs the rest of a request's handling with its context (called from an onRequest hook). */
export function runWithRequestContext(context: RequestContext, next: () => void): void {
  storage.run(context, next);
}

/** The current request's context; undefined outside a request (jobs, CLI). */
export function currentRequestContext(): RequestContext | undefined {
  return storage.getStore();
}
