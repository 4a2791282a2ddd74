// The documentation's full-text index (fumadocs' built-in engine), built in-process from the pages:
// no outside service, so it works on a machine without network access. One index serves both
// routes: queries on the server (/api/search?query=) and the exported index the search dialog
// downloads once and queries in the browser (/api/search/static).
import { createFromSource } from 'fumadocs-core/search/server';
import { source } from '@/lib/docs/source';

export const docsSearch = createFromSource(source, { language: 'english' });
