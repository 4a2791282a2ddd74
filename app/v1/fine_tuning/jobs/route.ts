import { withApiKey } from '@/server/api/rest/with-api-key';
import { methodNotAllowed } from '@/server/api/rest/errors';
import { intParam, parseJsonBody } from '@/server/api/rest/body';
import { getDb } from '@/server/db';
import { createJob, ZCreateJobRequest } from '@/server/services/training/create-job';
import { listJobs } from '@/server/services/training/manage-jobs';
import { toOpenAIJob } from '@/server/services/training/openai-shapes';

export const dynamic = 'force-dynamic';

export const POST = withApiKey(async ({ req, tenant }) => {
  const input = await parseJsonBody(req, ZCreateJobRequest);
  return Response.json(toOpenAIJob(await createJob({ tenant, db: getDb(), input })));
});

export const GET = withApiKey(async ({ req, tenant }) => {
  const url = new URL(req.url);
  const { jobs, hasMore } = await listJobs({ tenant, after: url.searchParams.get('after'), limit: intParam(url, 'limit', { min: 1, max: 100, fallback: 20 }) });
  return Response.json({ object: 'list', data: jobs.map(toOpenAIJob), has_more: hasMore });
});

const refuse = methodNotAllowed('GET', 'POST');
export { refuse as PUT, refuse as PATCH, refuse as DELETE };
