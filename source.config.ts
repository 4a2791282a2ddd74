// The docs collection: every MDX page under content/docs, ordered by each folder's meta.json where
// it lists a page and alphabetically after it ("..."), so pages added by any part of Lathe appear
// without being registered anywhere.
import { defineConfig, defineDocs, frontmatterSchema } from 'fumadocs-mdx/config';
import { z } from 'zod';

export const docs = defineDocs({
  dir: 'content/docs',
  docs: {
    // `lang` marks a page written in another language than English (the quick start's translations).
    schema: frontmatterSchema.extend({ lang: z.string().optional() }),
  },
});

export default defineConfig();
