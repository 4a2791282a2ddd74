import { withApiKey } from '@/server/api/rest/with-api-key';
import { methodNotAllowed } from '@/server/api/rest/errors';
import { getJob } from '@/server/services/training/manage-jobs';
import { toOpenAIJob } from '@/server/services/training/openai-shapes';

export const dynamic = 'force-dynamic';

export const GET = withApiKey<{ id: string }>(async ({ tenant, params }) => Response.json(toOpenAIJob(await getJob({ tenant, id: params.id }))));

const refuse = methodNotAllowed('GET');
export { refuse as POST, refuse as PUT, refuse as PATCH, refuse as DELETE };
