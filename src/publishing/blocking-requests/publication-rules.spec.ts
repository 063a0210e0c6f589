import { describe, expect, it } from '@jest/globals';
import { ProblemException } from '#src/platform/problem/index.js';
import {
  checkAddressed,
  checkOverrides,
  checkPublishable,
  checkSubmittable,
  checkTwoPersonRule,
  MAX_REPORTED,
  protectedHits,
  publicationDeadline,
  type PublicationItem,
} from '#src/publishing/blocking-requests/publication-rules.js';
import { ProtectedMatcher } from '#src/publishing/protected-lists/matcher.js';

const NOW = new Date('2026-06-01T12:00:00Z');
const HOUR = 3600_000;

let nextId = 0;
function item(overrides: Partial<PublicationItem> = {}): PublicationItem {
  nextId++;
  return {
    indicator_id: `00000000-0000-4000-8000-${String(nextId).padStart(12, '0')}`,
    type: 'domain',
    value: `host${nextId}.example.net`,
    operation: 'block',
    status: 'active',
    tlp: 'AMBER',
    valid_from: new Date(NOW.getTime() - HOUR),
    valid_until: null,
    ...overrides,
  };
}

const named = { targetsAll: false, deadlineAt: null };

/** The problem `run` throws: its status and body. */
function problemOf(run: () => void): { status: number; body: Record<string, unknown> } {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ProblemException);
    const problem = error as ProblemException;
    return { status: problem.getStatus(), body: problem.toProblem() };
  }
  throw new Error('expected a problem');
}

describe('checkSubmittable', () => {
  it('refuses a request without items', () => {
    expect(problemOf(() => checkSubmittable([])).status).toBe(422);
    expect(() => checkSubmittable([item()])).not.toThrow();
  });
});

describe('checkPublishable', () => {
  it('accepts active block items valid now, and unblock items whatever their state', () => {
    const items = [
      item(),
      item({ valid_until: new Date(NOW.getTime() + HOUR) }),
      item({ operation: 'unblock', status: 'revoked' }),
      item({ operation: 'unblock', valid_from: new Date(NOW.getTime() + HOUR) }),
    ];
    expect(() => checkPublishable(named, items, NOW)).not.toThrow();
  });

  it('refuses block items not valid yet, listing them', () => {
    const future = item({ valid_from: new Date(NOW.getTime() + 1) });
    const { status, body } = problemOf(() => checkPublishable(named, [item(), future], NOW));
    expect(status).toBe(422);
    expect(String(body.detail)).toMatch(/^1 block item\(s\) are not valid yet, e\.g\. host/);
    expect(body.values).toEqual([future.value]);
  });

  it('refuses block items revoked, expired, or past valid_until before the expiry job ran', () => {
    const bad = [
      item({ status: 'revoked' }),
      item({ status: 'expired' }),
      item({ valid_until: NOW }),
    ];
    const { body } = problemOf(() => checkPublishable(named, [item(), ...bad], NOW));
    expect(String(body.detail)).toMatch(/^3 block item\(s\) are expired or revoked/);
    expect(body.values).toEqual(bad.map((i) => i.value));
  });

  it('lists at most MAX_REPORTED values', () => {
    const bad = Array.from({ length: MAX_REPORTED + 5 }, () => item({ status: 'revoked' }));
    const { body } = problemOf(() => checkPublishable(named, bad, NOW));
    expect(String(body.detail)).toMatch(new RegExp(`^${MAX_REPORTED + 5} block item`));
    expect(body.values).toHaveLength(MAX_REPORTED);
  });

  it('refuses TLP:RED items, unblock ones too, only in a request to all ISPs', () => {
    const red = item({ operation: 'unblock', tlp: 'RED' });
    expect(() => checkPublishable(named, [item(), red], NOW)).not.toThrow();
    const { body } = problemOf(() =>
      checkPublishable({ targetsAll: true, deadlineAt: null }, [item(), red], NOW),
    );
    expect(String(body.detail)).toMatch(/^TLP:RED indicators go only to named recipients/);
    expect(body.values).toEqual([red.value]);
  });

  it('refuses an explicit deadline that has passed', () => {
    const { body } = problemOf(() =>
      checkPublishable({ targetsAll: false, deadlineAt: NOW }, [item()], NOW),
    );
    expect(body.detail).toBe('The explicit deadline has passed: change it first');
    const later = new Date(NOW.getTime() + 1);
    expect(() =>
      checkPublishable({ targetsAll: false, deadlineAt: later }, [item()], NOW),
    ).not.toThrow();
  });
});

describe('checkTwoPersonRule', () => {
  const request = { createdBy: 'writer', submittedBy: 'submitter' };

  it('refuses the submitter and the writer, with 403', () => {
    const submitted = problemOf(() => checkTwoPersonRule(request, 'submitter'));
    expect(submitted.status).toBe(403);
    expect(submitted.body.detail).toBe(
      'You submitted this request: another approver must approve it',
    );
    expect(problemOf(() => checkTwoPersonRule(request, 'writer')).body.detail).toBe(
      'You wrote this request: another approver must approve it',
    );
  });

  it('accepts anyone else', () => {
    expect(() => checkTwoPersonRule(request, 'approver')).not.toThrow();
  });
});

describe('checkAddressed', () => {
  it('refuses a request addressed to no ISP', () => {
    expect(problemOf(() => checkAddressed([])).body.detail).toBe(
      'There is no ISP to address the request to',
    );
    expect(() => checkAddressed(['isp'])).not.toThrow();
  });
});

describe('publicationDeadline', () => {
  it('is the explicit deadline when there is one, else deadlineHours after now', () => {
    const explicit = new Date(NOW.getTime() + 5 * HOUR);
    expect(publicationDeadline({ deadlineAt: explicit, deadlineHours: 24 }, NOW)).toBe(explicit);
    expect(publicationDeadline({ deadlineAt: null, deadlineHours: 24 }, NOW)).toEqual(
      new Date(NOW.getTime() + 24 * HOUR),
    );
  });

  it('refuses a deadline not after now', () => {
    expect(
      problemOf(() => publicationDeadline({ deadlineAt: NOW, deadlineHours: 24 }, NOW)).body.detail,
    ).toBe('The deadline has passed: change it first');
  });
});

describe('protected items', () => {
  const matcher = ProtectedMatcher.build([
    { id: 'e1', listId: 'l1', listName: 'Resolvers', kind: 'hostname', value: 'example.org' },
  ]);

  it('finds the block items that match a protected list, not the unblock ones', () => {
    const hit = item({ value: 'www.example.org' });
    const items = [item(), hit, item({ value: 'example.org', operation: 'unblock' })];
    const hits = protectedHits(items, matcher);
    expect(hits.map((h) => h.item)).toEqual([hit]);
    expect(hits[0].matches[0]).toMatchObject({ entryId: 'e1', listName: 'Resolvers' });
  });

  it('refuses hits without an override, listing them with their matches', () => {
    const hits = protectedHits(
      [item({ value: 'example.org' }), item({ value: 'a.example.org' })],
      matcher,
    );
    expect(() => checkOverrides(hits, new Set(hits.map((h) => h.item.indicator_id)))).not.toThrow();
    const { status, body } = problemOf(() =>
      checkOverrides(hits, new Set([hits[0].item.indicator_id])),
    );
    expect(status).toBe(422);
    expect(String(body.detail)).toMatch(
      /^1 block item\(s\) match a protected list, e\.g\. a\.example\.org/,
    );
    expect(body.protected).toEqual([
      {
        indicatorId: hits[1].item.indicator_id,
        value: 'a.example.org',
        matches: hits[1].matches,
      },
    ]);
  });
});
