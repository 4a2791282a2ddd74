import { z } from 'zod';
import { withApiKey } from '@/server/api/rest/with-api-key';
import { methodNotAllowed } from '@/server/api/rest/errors';
import { maxUploadBytes } from '@/server/services/datasets/platform/config';
import { createDataset } from '@/server/services/datasets/platform/create-dataset';
import { toOpenAIFile } from '@/server/services/datasets/platform/openai-files';
import { listFiles } from '@/server/services/training/list-files';
import { parsePurpose, tooLargeResponse, uploadTmpDir } from './files-api';
import { receiveUpload } from './receive-upload';

export const dynamic = 'force-dynamic';

/** Upload a JSONL file: multipart with `file` and `purpose` = fine-tune (training data) or evals (an eval set). */
export const POST = withApiKey(async ({ req, tenant }) => {
  const maxBytes = maxUploadBytes();
  let upload;
  try {
    upload = await receiveUpload(req, { maxBytes, tmpDir: uploadTmpDir() });
  } catch (error) {
    const tooLarge = tooLargeResponse(error);
    if (tooLarge) return tooLarge;
    throw error;
  }
  try {
    const purpose = parsePurpose(upload.fields.purpose);
    const dataset = await createDataset({ tenant, source: { path: upload.path }, filename: upload.filename, purpose, maxBytes });
    return Response.json(toOpenAIFile(dataset));
  } catch (error) {
    const tooLarge = tooLargeResponse(error);
    if (tooLarge) return tooLarge;
    throw error;
  } finally {
    await upload.discard();
  }
});

const ZListQuery = z.object({
  purpose: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(10_000),
  order: z.enum(['asc', 'desc']).default('desc'),
  after: z.string().max(100).optional(),
});

/** The project's uploads and result files, newest first, with OpenAI's cursor pagination (`after`, `limit`, `has_more`). */
export const GET = withApiKey(async ({ req, tenant }) => {
  const query = ZListQuery.parse(Object.fromEntries(new URL(req.url).searchParams));
  const { data, hasMore } = await listFiles({ db: tenant.db, ...query });
  return Response.json({ object: 'list', data, has_more: hasMore, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null });
});

const refuse = methodNotAllowed('GET', 'POST');
export { refuse as PUT, refuse as PATCH, refuse as DELETE };
