// The generated documentation pages are committed; this fails when the code they describe changed
// without `npm run docs:generate`, and checks that nothing the sources list went missing.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { VALIDATION_CODES } from '@/lib/universal/dataset-report';
import { ERROR_CODES } from '@/lib/universal/errors';
import { readEnvSchemas } from './env-schema';
import { CONTENT, generatedPages } from './generate';
import { escapeInline, markdownToMdx } from './mdx-text';

describe('generated documentation pages', () => {
  let pages: Record<string, string>;

  it('match the committed files (run `npm run docs:generate` when this fails)', async () => {
    pages = await generatedPages();
    for (const [file, text] of Object.entries(pages)) {
      const committed = fs.existsSync(path.join(CONTENT, file)) ? fs.readFileSync(path.join(CONTENT, file), 'utf8') : '';
      expect(committed, `content/docs/${file} is stale`).toBe(text);
    }
  });

  it('datasets lists every validation code with its own section', () => {
    for (const code of Object.keys(VALIDATION_CODES)) expect(pages['datasets.mdx']).toContain(`### \`${code}\``);
  });

  it('troubleshooting lists every error code', () => {
    for (const code of Object.keys(ERROR_CODES)) expect(pages['troubleshooting.mdx']).toContain(`| \`${code}\` |`);
  });

  it('self-hosting lists every variable of the env schemas, each with a description', () => {
    const variables = readEnvSchemas(path.resolve(CONTENT, '../..'));
    expect(variables.length).toBeGreaterThan(30);
    for (const v of variables) {
      const row = pages['self-hosting.mdx']!.split('\n').find((line) => line.startsWith(`| \`${v.name}\` |`));
      expect(row, v.name).toBeDefined();
      expect(row!.split('|').at(-2)!.trim().length, `${v.name} has no description`).toBeGreaterThan(10);
    }
  });

  it('the CLI reference has every command the CLI registers', () => {
    for (const command of ['user create', 'key create', 'credits grant', 'models import', 'doctor']) {
      expect(pages['cli-reference.mdx']).toContain(`\`lathe ${command}\``);
    }
  });
});

describe('Markdown to MDX', () => {
  it('escapes JSX and expression characters in prose, not in code', () => {
    expect(escapeInline('a <b> {c} `<d> {e}`')).toBe('a \\<b\\> \\{c\\} `<d> {e}`');
    expect(markdownToMdx('x <y>\n```\n<z> {w}\n```\n')).toBe('x \\<y\\>\n```\n<z> {w}\n```\n');
  });
});
