// Full-text search over the documentation, built in-process from the pages at start-up; no
// outside service is involved, so it works on a machine without network access.
import { createFromSource } from 'fumadocs-core/search/server';
import { source } from '@/lib/docs/source';

export const { GET } = createFromSource(source, { language: 'english' });
