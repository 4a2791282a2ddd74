import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { docsPaths, MARKETING_PAGES, PAGE_META_KEY } from './site-pages';

describe('site pages', () => {
  it('lists every content/docs page for the sitemap, index pages as their folder', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'lathe-docs-'));
    try {
      expect(docsPaths(root)).toEqual([]);
      for (const file of ['index.mdx', 'quick-start.mdx', 'api/index.mdx', 'api/files.mdx', 'notes.txt']) {
        fs.mkdirSync(path.dirname(path.join(root, 'content/docs', file)), { recursive: true });
        fs.writeFileSync(path.join(root, 'content/docs', file), '---\ntitle: x\n---\n');
      }
      expect(docsPaths(root)).toEqual(['/docs', '/docs/api', '/docs/api/files', '/docs/quick-start']);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('has a title and description key for every public page', () => {
    const meta = JSON.parse(fs.readFileSync('messages/en/site.json', 'utf8')).meta as Record<string, { title: string; description: string }>;
    for (const page of MARKETING_PAGES) expect(meta[PAGE_META_KEY[page]], page).toMatchObject({ title: expect.any(String), description: expect.any(String) });
  });
});
