import fs from 'node:fs';
import path from 'node:path';

// Japanese Open Graph cards need glyphs that next/og's bundled font lacks. Noto Sans JP
// (@fontsource/noto-sans-jp, OFL-1.1) ships as about 120 subsets per weight, each with a CSS
// unicode-range; a card loads only the subsets its text touches (a few hundred kB, not 80 MB).

const PACKAGE = path.join(process.cwd(), 'node_modules/@fontsource/noto-sans-jp');

interface Subset {
  file: string;
  ranges: [number, number][];
}

const subsetsByWeight = new Map<number, Subset[]>();

function subsets(weight: number): Subset[] {
  const cached = subsetsByWeight.get(weight);
  if (cached) return cached;
  const css = fs.readFileSync(path.join(PACKAGE, `${weight}.css`), 'utf8');
  const parsed: Subset[] = [];
  for (const face of css.split('@font-face').slice(1)) {
    const file = /url\(\.\/files\/([^)]+\.woff)\) format\('woff'\)/.exec(face)?.[1];
    const range = /unicode-range:\s*([^;]+);/.exec(face)?.[1];
    if (!file || !range) continue;
    const ranges = range.split(',').map((part): [number, number] => {
      const [from, to] = part.trim().replace(/^U\+/i, '').split('-');
      return [parseInt(from!, 16), parseInt(to ?? from!, 16)];
    });
    parsed.push({ file, ranges });
  }
  subsetsByWeight.set(weight, parsed);
  return parsed;
}

export interface OgFont {
  /** `Noto Sans JP <subset>`: one family per unicode-range subset. */
  name: string;
  data: Buffer;
  weight: 400 | 600;
  style: 'normal';
}

/** The Noto Sans JP subsets (at the given weights) that cover every character of `text`. */
export function japaneseFonts(text: string, weights: readonly (400 | 600)[] = [400, 600]): OgFont[] {
  const points = new Set([...text].map((c) => c.codePointAt(0)!));
  const fonts: OgFont[] = [];
  for (const weight of weights) {
    for (const subset of subsets(weight)) {
      if (![...points].some((p) => subset.ranges.some(([from, to]) => p >= from && p <= to))) continue;
      // One family name per subset, shared by its weights: satori picks a font by family name and
      // weight, and falls back through the families that fontFamily lists (japaneseFontFamily);
      // subsets under one name would hide each other's glyphs.
      const id = /^noto-sans-jp-([a-z0-9]+)-/.exec(subset.file)?.[1] ?? subset.file;
      fonts.push({ name: `Noto Sans JP ${id}`, data: fs.readFileSync(path.join(PACKAGE, 'files', subset.file)), weight, style: 'normal' });
    }
  }
  return fonts;
}

/** The CSS font-family that falls back through the subsets japaneseFonts chose. */
export function japaneseFontFamily(fonts: readonly OgFont[]): string {
  return [...new Set(fonts.map((f) => `'${f.name}'`))].join(', ');
}
