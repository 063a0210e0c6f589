/**
 * `Authorization: Basic base64(id:secret)`: undefined when absent (or another scheme), null
 * when malformed. The id ends at the first colon. `form` is how the two parts are encoded:
 * `urlencoded` for OAuth 2.0 client authentication (RFC 6749 §2.3.1, `+` is a space), `plain`
 * for ordinary HTTP Basic (RFC 7617, as TAXII clients send it).
 */
export function parseBasic(
  header: string | undefined,
  form: 'urlencoded' | 'plain' = 'urlencoded',
): { id: string; secret: string } | undefined | null {
  if (!header) return undefined;
  const match = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header.trim());
  if (!match?.[1]) return /^Basic\b/i.test(header.trim()) ? null : undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  const [id, secret] = [decoded.slice(0, colon), decoded.slice(colon + 1)];
  if (form === 'plain') return { id, secret };
  try {
    return {
      id: decodeURIComponent(id.replace(/\+/g, ' ')),
      secret: decodeURIComponent(secret.replace(/\+/g, ' ')),
    };
  } catch {
    return null;
  }
}
