// The documentation's search index, exported once at build time: the search dialog downloads it
// and answers every keystroke in the browser, without a round trip.
import { docsSearch } from '@/lib/docs/search';

export const revalidate = false;
export const GET = docsSearch.staticGET;
