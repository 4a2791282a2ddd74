import { withApiKey } from '@/server/api/rest/with-api-key';
import { listUsableModels } from '@/server/services/model-registry/list-usable-models';

export const dynamic = 'force-dynamic';

export const GET = withApiKey(async ({ tenant }) => {
  const models = await listUsableModels({ db: tenant.db });
  return Response.json({ object: 'list', data: models.map(({ kind: _kind, ...m }) => m) });
});
