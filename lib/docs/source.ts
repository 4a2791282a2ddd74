// The documentation's page tree and pages, read from content/docs by fumadocs' loader. Pages
// that other parts of Lathe add to that folder appear without being listed anywhere.
import { docs } from 'fumadocs-mdx:collections/server';
import { loader } from 'fumadocs-core/source';

export const source = loader({ baseUrl: '/docs', source: docs.toFumadocsSource() });
