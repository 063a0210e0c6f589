/**
 * Text PostgreSQL can store: no NUL character (text and jsonb refuse it) and no unpaired UTF-16
 * surrogate (jsonb refuses its escape; text would silently get U+FFFD). Client input holding
 * either is refused where it enters (a 400), and text the service itself cuts or quotes is made
 * storable with `storableText`.
 */

// eslint-disable-next-line no-control-regex
const NUL = /\u0000/;

/** True when `text` has no NUL and no unpaired surrogate. */
export function isStorableText(text: string): boolean {
  return text.isWellFormed() && !NUL.test(text);
}

/**
 * The path (`items[3].value`, `title`) of the first string in `value` (a parsed JSON body, a
 * query, route parameters), keys included, that is not storable text; undefined when all are.
 * Iterative: a deeply nested body cannot exhaust the stack.
 */
export function unstorableTextAt(value: unknown, root = ''): string | undefined {
  const pending: [unknown, string][] = [[value, root]];
  while (pending.length > 0) {
    const [current, path] = pending.pop()!;
    if (typeof current === 'string') {
      if (!isStorableText(current)) return path || '(body)';
    } else if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) pending.push([current[i], `${path}[${i}]`]);
    } else if (current !== null && typeof current === 'object') {
      for (const [key, item] of Object.entries(current)) {
        const at = path === '' ? key : `${path}.${key}`;
        if (!isStorableText(key)) return at;
        pending.push([item, at]);
      }
    }
  }
  return undefined;
}

/**
 * `text` made storable and at most `maxLength` UTF-16 units long (`…` marks a cut): NUL and
 * unpaired surrogates become U+FFFD, and a cut never splits a surrogate pair.
 */
export function storableText(text: string, maxLength: number): string {
  let out = text.toWellFormed().replaceAll('\u0000', '\uFFFD');
  if (out.length > maxLength) {
    let end = Math.max(0, maxLength - 1);
    const last = out.charCodeAt(end - 1);
    if (last >= 0xd800 && last <= 0xdbff) end--; // a high surrogate whose pair is cut off
    out = `${out.slice(0, end)}…`;
  }
  return out;
}
