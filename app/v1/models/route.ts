import { withApiKey } from '@/server/api/rest/with-api-key';
import { methodNotAllowed } from '@/server/api/rest/errors';
import { listUsableModels } from '@/server/services/model-registry/list-usable-models';

export const dynamic = 'force-dynamic';

export const GET = withApiKey(async ({ tenant }) => {
  const models = await listUsableModels({ db: tenant.db });
  return Response.json({ object: 'list', data: models.map(({ kind: _kind, ...m }) => m) });
});

const refuse = methodNotAllowed('GET');
export { refuse as POST, refuse as PUT, refuse as PATCH, refuse as DELETE };
