import { withFile } from '@/app/v1/files/files-api';
import { withApiKey } from '@/server/api/rest/with-api-key';
import { deleteDataset } from '@/server/services/datasets/platform/delete-dataset';
import { toFileId, toOpenAIFile } from '@/server/services/datasets/platform/openai-files';
import { getDataset } from '@/server/services/datasets/platform/read-datasets';

export const dynamic = 'force-dynamic';

export const GET = withApiKey<{ file: string }>(async ({ tenant, params }) => {
  const dataset = await withFile(params.file, (id) => getDataset({ db: tenant.db, id }));
  return Response.json(toOpenAIFile(dataset));
});

/** Refused (409) while a fine-tuning job uses the file. */
export const DELETE = withApiKey<{ file: string }>(async ({ tenant, params }) => {
  const { id } = await withFile(params.file, (datasetId) => deleteDataset({ tenant, id: datasetId }));
  return Response.json({ id: toFileId(id), object: 'file', deleted: true });
});
