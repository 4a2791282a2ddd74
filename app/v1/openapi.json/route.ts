// The OpenAPI 3.1 document of /v1 (server/api/rest/openapi.ts). Public: it describes the API, not
// anyone's data, so clients and code generators can read it without a key.
import { methodNotAllowed } from '@/server/api/rest/errors';
import { openApiDocument } from '@/server/api/rest/openapi';

export const dynamic = 'force-dynamic';

export function GET(): Response {
  return Response.json(openApiDocument(), { headers: { 'cache-control': 'public, max-age=300' } });
}

const refuse = methodNotAllowed('GET');
export { refuse as POST, refuse as PUT, refuse as PATCH, refuse as DELETE };
