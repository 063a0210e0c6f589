import { useCallback, useRef } from 'react';

/** A UUID for an Idempotency-Key; crypto.randomUUID needs a secure context, hence the fallback. */
function uuid(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * Idempotency-Keys per user action (docs/decisions/0011-idempotency-keys.md): `keyFor(action)`
 * gives a new key the first time an action (its path and body) is sent, and the same key while it
 * is retried after a failure; `settled(action)` forgets it once the action succeeded, so that
 * doing the same again later is a new operation. A changed body is another action (another key):
 * the service refuses a key reused with a different request.
 */
export function useIdempotencyKeys() {
  const keys = useRef(new Map<string, string>());
  const keyFor = useCallback((action: string): string => {
    let key = keys.current.get(action);
    if (!key) {
      key = uuid();
      keys.current.set(action, key);
    }
    return key;
  }, []);
  const settled = useCallback((action: string) => keys.current.delete(action), []);
  return { keyFor, settled };
}
