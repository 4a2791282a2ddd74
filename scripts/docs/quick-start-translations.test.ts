// The quick start in nine languages: each translation exists, says which language it is in, and
// runs exactly the commands and code of the English page (the doc test runs the English one), so a
// translation cannot drift from what works.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { codeBlocks } from './code-blocks';

const DIR = path.resolve(import.meta.dirname, '../../content/docs/quick-start');
const LOCALES = ['de', 'es', 'fr', 'it', 'ja', 'nl', 'pl', 'pt'];
const english = fs.readFileSync(path.join(DIR, 'index.mdx'), 'utf8');
const runnable = (mdx: string) => codeBlocks(mdx).filter((b) => b.lang === 'sh' || b.lang === 'js').map((b) => `${b.meta}\n${b.code}`);

describe.each(LOCALES)('the %s quick start', (locale) => {
  const text = fs.readFileSync(path.join(DIR, `${locale}.mdx`), 'utf8');

  it('declares its language', () => {
    expect(/^lang:\s*(\S+)/m.exec(text)?.[1]).toBe(locale);
  });

  it('has the English page\'s commands and code, unchanged', () => {
    expect(runnable(text)).toEqual(runnable(english));
  });

  it('has a dataset of as many lines as the English one, in valid JSON', () => {
    const data = (mdx: string) => codeBlocks(mdx).find((b) => b.title === 'capitals.jsonl')!.code.split('\n');
    const lines = data(text);
    expect(lines.length).toBe(data(english).length);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
  });

  it('is translated: no English paragraph of the original is left', () => {
    const paragraphs = english.split(/\n\n+/).filter((p) => /^[A-Z][a-z]/.test(p) && p.split(' ').length > 6);
    for (const p of paragraphs) expect(text).not.toContain(p);
  });
});
