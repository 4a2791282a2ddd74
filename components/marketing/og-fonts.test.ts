import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { listPosts } from '@/components/marketing/blog';
import { japaneseFonts } from '@/components/marketing/og-fonts';

const meta = (JSON.parse(fs.readFileSync('messages/ja/site.json', 'utf8')) as { meta: Record<string, { title: string; description: string }> }).meta;
const texts = [...Object.values(meta).flatMap((m) => [m.title, m.description]), ...listPosts('ja').flatMap((p) => [p.title, p.description])];

describe('Japanese Open Graph fonts', () => {
  it('has texts to check', () => {
    expect(texts.length).toBeGreaterThan(10);
    expect(texts.join('')).toMatch(/[\u3040-\u30ff\u4e00-\u9fff]/);
  });

  it('loads subsets that cover every character of every Japanese card, at both weights, and only a few of them', () => {
    for (const text of texts) {
      const fonts = japaneseFonts(text);
      expect(fonts.length, text).toBeGreaterThan(0);
      expect(new Set(fonts.map((f) => f.weight))).toEqual(new Set([400, 600]));
      // Each weight's subsets stay a small share of the ~120 the family has.
      expect(fonts.length, text).toBeLessThan(2 * 40);
    }
  });

  it('finds a subset for each character, Latin and Japanese alike', () => {
    for (const char of new Set([...texts.join('')].filter((c) => c.trim()))) {
      expect(japaneseFonts(char, [400]).length, `U+${char.codePointAt(0)!.toString(16)} ${char}`).toBeGreaterThan(0);
    }
  });
});
