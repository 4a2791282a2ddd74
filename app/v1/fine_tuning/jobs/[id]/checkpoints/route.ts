import { withApiKey } from '@/server/api/rest/with-api-key';
import { methodNotAllowed } from '@/server/api/rest/errors';
import { listCheckpoints } from '@/server/services/training/manage-jobs';
import { toOpenAICheckpoint } from '@/server/services/training/openai-shapes';

export const dynamic = 'force-dynamic';

export const GET = withApiKey<{ id: string }>(async ({ tenant, params }) => {
  const { job, checkpoints } = await listCheckpoints({ tenant, id: params.id });
  const data = checkpoints.map((c) => toOpenAICheckpoint(c, job));
  return Response.json({ object: 'list', data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null });
});

const refuse = methodNotAllowed('GET');
export { refuse as POST, refuse as PUT, refuse as PATCH, refuse as DELETE };
