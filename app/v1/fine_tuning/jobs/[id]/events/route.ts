import { withApiKey } from '@/server/api/rest/with-api-key';
import { methodNotAllowed } from '@/server/api/rest/errors';
import { intParam } from '@/server/api/rest/body';
import { listJobEvents } from '@/server/services/training/manage-jobs';
import { toOpenAIEvent } from '@/server/services/training/openai-shapes';
import { LatheError } from '@/server/services/errors';

export const dynamic = 'force-dynamic';

/** Event seqs are 32-bit integers in the database. */
const MAX_SEQ = 2_147_483_647;

/** Newest first, like OpenAI; `after` is the id of the last event of the previous page. */
export const GET = withApiKey<{ id: string }>(async ({ req, tenant, params }) => {
  const url = new URL(req.url);
  const afterId = url.searchParams.get('after');
  const after = afterId ? Number(/-(\d+)$/.exec(afterId)?.[1] ?? NaN) : null;
  if (afterId && !(Number.isInteger(after) && after! <= MAX_SEQ)) throw new LatheError('BAD_REQUEST', `'${afterId}' is not an event id of this job.`, { param: 'after', reason: 'invalid_request' });
  const { events, hasMore } = await listJobEvents({ tenant, id: params.id, after, limit: intParam(url, 'limit', { min: 1, max: 1000, fallback: 20 }) });
  return Response.json({ object: 'list', data: events.map(toOpenAIEvent), has_more: hasMore });
});

const refuse = methodNotAllowed('GET');
export { refuse as POST, refuse as PUT, refuse as PATCH, refuse as DELETE };
