import { withApiKey } from '@/server/api/rest/with-api-key';
import { methodNotAllowed } from '@/server/api/rest/errors';
import { listUsableModels } from '@/server/services/model-registry/list-usable-models';
import { notFound } from '@/server/services/errors';

export const dynamic = 'force-dynamic';

/** Next.js hands the segment over decoded already: decoding it again would fail on a literal '%'. */
export const GET = withApiKey<{ model: string }>(async ({ tenant, params }) => {
  const name = params.model;
  const model = (await listUsableModels({ db: tenant.db })).find((m) => m.id === name);
  if (!model) throw notFound(`The model '${name}'`);
  const { kind: _kind, ...body } = model;
  return Response.json(body);
});

const refuse = methodNotAllowed('GET');
export { refuse as POST, refuse as PUT, refuse as PATCH, refuse as DELETE };
