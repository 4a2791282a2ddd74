import fs from 'node:fs';
import path from 'node:path';
import postcss from 'postcss';
import tailwind from '@tailwindcss/postcss';
import { beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const cssPath = path.join(root, 'app/globals.css');
let css = '';

beforeAll(async () => {
  const result = await postcss([tailwind({ base: root })]).process(fs.readFileSync(cssPath, 'utf8'), {
    from: cssPath,
  });
  css = result.css;
});

function block(selector: string): string {
  const start = css.indexOf(`${selector} {`);
  return start < 0 ? '' : css.slice(start, css.indexOf('}', start));
}

describe('app/globals.css', () => {
  it('defines every colour token for light and dark', () => {
    const tokens = [...fs.readFileSync(cssPath, 'utf8').matchAll(/--color-([\w-]+): var\(--([\w-]+)\)/g)];
    expect(tokens.length).toBeGreaterThan(30);
    for (const [, , variable] of tokens) {
      expect(block(':root'), `--${variable} in :root`).toMatch(new RegExp(`--${variable}: oklch\\(`));
      expect(block('.dark'), `--${variable} in .dark`).toMatch(new RegExp(`--${variable}: oklch\\(`));
    }
  });

  it('generates the utilities the components use from the theme tokens', () => {
    expect(css).toMatch(/\.bg-primary \{\s*background-color: var\(--primary\)/);
    expect(css).toContain('.bg-success\\/10');
    expect(css).toContain('.text-sidebar-foreground');
    expect(css).toContain('.fill-primary');
    expect(css).toContain('.focus-visible\\:ring-ring\\/50');
  });

  it('switches dark styles on the .dark class and includes the animation utilities', () => {
    expect(css).toContain('.dark\\:bg-input\\/30:is(.dark *)');
    expect(css).toContain('.animate-in');
    expect(css).toContain('.data-\\[state\\=open\\]\\:fade-in-0');
  });
});
