import { withApiKey } from '@/server/api/rest/with-api-key';
import { getDb } from '@/server/db';
import { cancelJob } from '@/server/services/training/manage-jobs';
import { toOpenAIJob } from '@/server/services/training/openai-shapes';

export const dynamic = 'force-dynamic';

export const POST = withApiKey<{ id: string }>(async ({ tenant, params }) => Response.json(toOpenAIJob(await cancelJob({ tenant, db: getDb(), id: params.id }))));
