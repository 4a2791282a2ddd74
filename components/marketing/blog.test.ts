import { describe, expect, it } from 'vitest';
import { locales } from '@/lib/universal/locales';
import { listPosts, loadPost, parseFrontmatter, postSlugs } from './blog';

describe('blog', () => {
  it('has every post in every language, with its own title and the same date', async () => {
    expect(postSlugs().length).toBeGreaterThanOrEqual(3);
    for (const slug of postSlugs()) {
      const english = await loadPost(slug, 'en');
      expect(english, slug).not.toBeNull();
      for (const locale of locales) {
        const post = await loadPost(slug, locale);
        expect(post, `${slug} ${locale}`).not.toBeNull();
        expect(post!.meta.date, `${slug} ${locale}`).toBe(english!.meta.date);
        if (locale !== 'en') {
          expect(post!.meta.title, `${slug} ${locale} title`).not.toBe(english!.meta.title);
          expect(post!.meta.description, `${slug} ${locale} description`).not.toBe(english!.meta.description);
        }
      }
    }
  });

  it('lists posts newest first and reads frontmatter with colons in values', () => {
    const dates = listPosts('de').map((p) => p.date);
    expect(dates).toEqual([...dates].sort().reverse());
    expect(parseFrontmatter('---\ntitle: "A: b"\ndate: 2026-01-02\n---\nBody').data).toEqual({ title: 'A: b', date: '2026-01-02' });
    expect(parseFrontmatter('no frontmatter').body).toBe('no frontmatter');
  });
});
