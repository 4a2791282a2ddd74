import { z } from 'zod';
import { withApiKey } from '@/server/api/rest/with-api-key';
import { maxUploadBytes } from '@/server/services/datasets/platform/config';
import { createDataset } from '@/server/services/datasets/platform/create-dataset';
import { fromFileId, toOpenAIFile } from '@/server/services/datasets/platform/openai-files';
import { listDatasets } from '@/server/services/datasets/platform/read-datasets';
import { LatheError } from '@/server/services/errors';
import { parsePurpose, tooLargeResponse, uploadTmpDir } from './files-api';
import { receiveUpload } from './receive-upload';

export const dynamic = 'force-dynamic';

/** Upload a JSONL training file: multipart with `file` and `purpose` = fine-tune. */
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

/** The project's files, newest first, with OpenAI's cursor pagination (`after`, `limit`, `has_more`). */
export const GET = withApiKey(async ({ req, tenant }) => {
  const query = ZListQuery.parse(Object.fromEntries(new URL(req.url).searchParams));
  let after: string | undefined;
  if (query.after) {
    const id = fromFileId(query.after);
    if (!id) throw new LatheError('BAD_REQUEST', `Invalid 'after': ${query.after} is not a file id.`, { param: 'after', reason: 'invalid_request' });
    after = id;
  }
  const rows = await listDatasets({ db: tenant.db, purpose: query.purpose, limit: query.limit + 1, after, order: query.order });
  const data = rows.slice(0, query.limit).map(toOpenAIFile);
  return Response.json({ object: 'list', data, has_more: rows.length > query.limit, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null });
});
