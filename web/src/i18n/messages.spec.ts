import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { PROJECT_ROOT } from '#src/platform/project/project.js';

/**
 * Every labels file of the console (web/src/**\/messages.ts) has the same keys in Vietnamese
 * and English, no empty label, and the same {placeholders} in both languages.
 */
const WEB = path.join(PROJECT_ROOT, 'web', 'src');
const files = (readdirSync(WEB, { recursive: true }) as string[])
  .filter((f) => path.basename(f) === 'messages.ts')
  .map((f) => path.join(WEB, f));
const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('the console’s labels (vi, en)', () => {
  it('finds the labels files', () => {
    expect(files.length).toBeGreaterThanOrEqual(3);
  });

  it.each(files.map((f) => [path.relative(PROJECT_ROOT, f), f]))(
    '%s: same keys, no empty label, same placeholders',
    async (_name, file) => {
      const { vi, en } = (await import(file)) as {
        vi: Record<string, string>;
        en: Record<string, string>;
      };
      expect(Object.keys(en).sort()).toEqual(Object.keys(vi).sort());
      for (const [key, text] of Object.entries(vi)) {
        expect({ key, vi: text.trim().length > 0, en: (en[key] ?? '').trim().length > 0 }).toEqual({
          key,
          vi: true,
          en: true,
        });
        expect({ key, placeholders: placeholders(en[key] ?? '') }).toEqual({
          key,
          placeholders: placeholders(text),
        });
      }
    },
  );

  it('writes Vietnamese with its diacritics (precomposed, NFC)', async () => {
    let diacritics = 0;
    for (const file of files) {
      const { vi } = (await import(file)) as { vi: Record<string, string> };
      for (const text of Object.values(vi)) {
        expect(text).toBe(text.normalize('NFC'));
        if (/[ăâđêôơưàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ]/i.test(text))
          diacritics += 1;
      }
    }
    expect(diacritics).toBeGreaterThan(20);
  });
});
