// The dashboard playground's chat: the same serving path as /v1/chat/completions, for the signed-in
// member's current project (charged to it, rate-limited per member), answered in OpenAI's shapes.
import { describeError } from '@/lib/universal/errors';
import { callerFromRequest, RequestAuthError } from '@/server/api/request-tenant';
import { errorResponse, openAIError } from '@/server/api/rest/errors';
import { serveGeneration } from '@/server/services/serving/serve-generation';

export const dynamic = 'force-dynamic';

export async function POST(req: Request) {
  try {
    const { tenant, userId, apiKeyId } = await callerFromRequest(req.headers);
    return await serveGeneration({ tenant, path: '/v1/chat/completions', request: req, caller: apiKeyId ? `key:${apiKeyId}` : `user:${userId}`, apiKeyId });
  } catch (error) {
    if (error instanceof RequestAuthError) return openAIError(error.status, error.message, describeError(error.errorClass).type, 'unauthorized');
    return errorResponse(error);
  }
}
