import { canonicalizeUntyped } from '#src/publishing/index.js';
import type { IncidentSeverity } from '#src/response/incidents/dto/incident.dto.js';

/** Tokens of a mailed report's text looked at for indicators, at most. */
export const MAX_TOKENS_CONSIDERED = 200;
/** Indicators taken from a mailed report, at most. */
export const MAX_MAIL_INDICATORS = 100;

/**
 * The severity a mailed report's subject asks for, by a tag in square brackets anywhere in it
 * (any case, with or without Vietnamese diacritics): `[critical]`, `[khẩn cấp]` → critical;
 * `[high]`, `[cao]` → high; `[medium]`, `[trung bình]` → medium; `[low]`, `[thấp]` → low. The
 * most severe tag wins; none: medium.
 */
export function severityFromSubject(subject: string): IncidentSeverity {
  const tags = [...subject.matchAll(/\[([^\][]{1,30})\]/g)].map((m) =>
    m[1]
      .normalize('NFD')
      .replace(/\p{M}/gu, '')
      .replace(/đ/gi, 'd')
      .toLowerCase()
      .replace(/\s+/g, ' ')
      .trim(),
  );
  const has = (...names: string[]) => tags.some((t) => names.includes(t));
  if (has('critical', 'khan cap', 'khan')) return 'critical';
  if (has('high', 'cao')) return 'high';
  if (has('medium', 'trung binh')) return 'medium';
  if (has('low', 'thap')) return 'low';
  return 'medium';
}

/**
 * Undoes the usual defanging of indicators in reports: `hxxp(s)` → `http(s)`, `[.]`, `(.)`,
 * `{.}`, `[dot]` → `.`, `[:]` → `:`, `[/]` → `/`.
 */
export function refang(text: string): string {
  return text
    .replace(/\bhxxp(s?)(?=(?:\[:\]|:)\/\/|\[:\/\/\])/gi, 'http$1')
    .replace(/\[:\/\/\]/g, '://')
    .replace(/\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)/gi, '.')
    .replace(/\[:\]/g, ':')
    .replace(/\[\/\]/g, '/');
}

/** Whether `host` is `domain` or a name under it. */
function within(host: string, domain: string): boolean {
  return host === domain || host.endsWith(`.${domain}`);
}

/**
 * The network indicators (domains, IPv4 and IPv6 addresses, URLs) named in a mailed report's
 * text, refanged and canonical, in order of appearance, without duplicates: of the first
 * MAX_TOKENS_CONSIDERED tokens that could be one, those canonicalizeUntyped accepts. Names
 * within `ignoredDomains` (the mailbox's, the sender's) and the attachments' file names are
 * left out; at most MAX_MAIL_INDICATORS.
 */
export function indicatorsInText(
  text: string,
  ignoredDomains: readonly string[],
  ignoredNames: readonly string[] = [],
): { type: string; value: string }[] {
  const ignored = ignoredDomains.map((d) => d.toLowerCase()).filter((d) => d !== '');
  const names = new Set(ignoredNames.map((n) => n.toLowerCase()));
  const found = new Map<string, { type: string; value: string }>();
  let considered = 0;
  for (const raw of refang(text).split(/\s+/)) {
    if (considered >= MAX_TOKENS_CONSIDERED || found.size >= MAX_MAIL_INDICATORS) break;
    const token = raw
      .replace(/^[<("'[{«“‘]+/u, '')
      .replace(/[>)"'\]},;!?.»”’:]+$/u, '')
      .slice(0, 2048);
    // Could be a name, an address or a URL; not an e-mail address.
    if (token.length < 3 || token.includes('@') || !/[.:]/.test(token)) continue;
    considered += 1;
    if (names.has(token.toLowerCase())) continue;
    const canonical = canonicalizeUntyped(token);
    if (!canonical.ok || !['domain', 'ipv4', 'ipv6', 'url'].includes(canonical.type)) continue;
    const host =
      canonical.type === 'domain'
        ? canonical.value
        : canonical.type === 'url'
          ? hostOf(canonical.value)
          : undefined;
    if (host !== undefined && ignored.some((d) => within(host, d))) continue;
    found.set(`${canonical.type} ${canonical.value}`, {
      type: canonical.type,
      value: canonical.value,
    });
  }
  return [...found.values()];
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}
