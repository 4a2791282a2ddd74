import { withApiKey } from '@/server/api/rest/with-api-key';
import { methodNotAllowed } from '@/server/api/rest/errors';
import { serveGeneration } from '@/server/services/serving/serve-generation';

export const dynamic = 'force-dynamic';

export const POST = withApiKey(async ({ req, tenant }) => {
  const apiKeyId = tenant.actor.apiKeyId ?? null;
  return serveGeneration({ tenant, path: '/v1/chat/completions', request: req, caller: `key:${apiKeyId}`, apiKeyId });
});

const refuse = methodNotAllowed('POST');
export { refuse as GET, refuse as PUT, refuse as PATCH, refuse as DELETE };
