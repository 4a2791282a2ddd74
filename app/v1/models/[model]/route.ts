import { withApiKey } from '@/server/api/rest/with-api-key';
import { listUsableModels } from '@/server/services/model-registry/list-usable-models';
import { notFound } from '@/server/services/errors';

export const dynamic = 'force-dynamic';

export const GET = withApiKey<{ model: string }>(async ({ tenant, params }) => {
  const name = decodeURIComponent(params.model);
  const model = (await listUsableModels({ db: tenant.db })).find((m) => m.id === name);
  if (!model) throw notFound(`The model '${name}'`);
  const { kind: _kind, ...body } = model;
  return Response.json(body);
});
