// Server-side documentation search: GET /api/search?query=... answers the matching pages and
// sections as JSON (for scripts and clients without the dialog).
import { docsSearch } from '@/lib/docs/search';

export const GET = docsSearch.GET;
