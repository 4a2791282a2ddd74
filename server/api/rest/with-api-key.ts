// The /v1 wrapper: authenticate the bearer key, refuse path and query text the database cannot
// store, hand the handler a tenant context, and turn any error into OpenAI's shape. Nothing more
// lives here: handlers read their bodies themselves, after this (server/api/rest/body.ts).
import { getDb } from '@/server/db';
import { tenantDb, type TenantContext } from '@/server/db/tenant';
import { authenticateApiKey } from '@/server/services/api-keys/api-keys';
import { errorResponse, openAIError } from '@/server/api/rest/errors';
import { assertStorablePath, assertStorableText } from '@/server/api/storable-text';

export type RestHandler<P> = (args: { req: Request; tenant: TenantContext; params: P }) => Promise<Response>;

export function withApiKey<P = Record<string, never>>(handler: RestHandler<P>) {
  return async (req: Request, context: { params: Promise<P> }): Promise<Response> => {
    try {
      const header = req.headers.get('authorization');
      if (!header) {
        return openAIError(401, "You didn't provide an API key. Pass it in the Authorization header: 'Authorization: Bearer YOUR_KEY'.", 'authentication_error', 'missing_api_key');
      }
      const secret = header.replace(/^Bearer\s+/i, '').trim();
      const principal = await authenticateApiKey({ db: getDb(), secret });
      if (!principal) {
        const shown = secret.length > 8 ? `${secret.slice(0, 6)}…${secret.slice(-4)}` : '***';
        return openAIError(401, `Incorrect or revoked API key provided: ${shown}. Create a key on the API keys page.`, 'authentication_error', 'invalid_api_key');
      }
      const scope = { organizationId: principal.organizationId, projectId: principal.projectId };
      const tenant: TenantContext = { db: tenantDb(scope), scope, actor: { apiKeyId: principal.apiKeyId } };
      const params = await context.params;
      assertStorablePath(params);
      for (const [name, value] of new URL(req.url).searchParams) assertStorableText({ [name]: value }, 'The query string');
      return await handler({ req, tenant, params });
    } catch (error) {
      return errorResponse(error);
    }
  };
}
