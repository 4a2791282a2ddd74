import { withApiKey } from '@/server/api/rest/with-api-key';
import { methodNotAllowed } from '@/server/api/rest/errors';
import { getDb } from '@/server/db';
import { cancelJob } from '@/server/services/training/manage-jobs';
import { toOpenAIJob } from '@/server/services/training/openai-shapes';

export const dynamic = 'force-dynamic';

export const POST = withApiKey<{ id: string }>(async ({ tenant, params }) => Response.json(toOpenAIJob(await cancelJob({ tenant, db: getDb(), id: params.id }))));

const refuse = methodNotAllowed('POST');
export { refuse as GET, refuse as PUT, refuse as PATCH, refuse as DELETE };
