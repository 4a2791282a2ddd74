import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { listPosts } from '@/components/marketing/blog';
import { japaneseFontFamily, japaneseFonts } from '@/components/marketing/og-fonts';

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
      // next/og picks fonts by family name and weight and falls back only across the families
      // that font-family lists: each subset is a family of its own, at both weights.
      const at400 = fonts.filter((f) => f.weight === 400).map((f) => f.name);
      expect(new Set(at400).size, text).toBe(at400.length);
      expect(fonts.filter((f) => f.weight === 600).map((f) => f.name)).toEqual(at400);
      expect(japaneseFontFamily(fonts).split(', ').length).toBe(at400.length);
    }
  });

  it('finds a subset for each character, Latin and Japanese alike', () => {
    for (const char of new Set([...texts.join('')].filter((c) => c.trim()))) {
      expect(japaneseFonts(char, [400]).length, `U+${char.codePointAt(0)!.toString(16)} ${char}`).toBeGreaterThan(0);
    }
  });
});

describe('a Japanese card', () => {
  it('renders with only these fonts (a missing glyph would make next/og fetch a font from the network)', async () => {
    const { ImageResponse } = await import('next/og');
    const { createElement } = await import('react');
    const text = texts.find((t) => /[\u4e00-\u9fff]/.test(t))!;
    const fonts = japaneseFonts(text);
    let fetched = 0;
    const realFetch = globalThis.fetch;
    globalThis.fetch = (async (...args: Parameters<typeof fetch>) => {
      // Its own wasm arrives as a data: URL; anything else would be a font from the network.
      if (!String(args[0]).startsWith('data:')) fetched++;
      return realFetch(...args);
    }) as typeof fetch;
    try {
      const image = new ImageResponse(createElement('div', { style: { display: 'flex', fontSize: 48, fontFamily: japaneseFontFamily(fonts) } }, text), { width: 1200, height: 630, fonts });
      expect((await image.arrayBuffer()).byteLength).toBeGreaterThan(5_000);
    } finally {
      globalThis.fetch = realFetch;
    }
    expect(fetched).toBe(0);
  });
});
