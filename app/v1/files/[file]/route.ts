import { withFile } from '@/app/v1/files/files-api';
import { withApiKey } from '@/server/api/rest/with-api-key';
import { methodNotAllowed } from '@/server/api/rest/errors';
import { deleteDataset } from '@/server/services/datasets/platform/delete-dataset';
import { toFileId, toOpenAIFile } from '@/server/services/datasets/platform/openai-files';
import { getDataset } from '@/server/services/datasets/platform/read-datasets';
import { LatheError } from '@/server/services/errors';
import { getResultFile } from '@/server/services/training/result-files';

export const dynamic = 'force-dynamic';

export const GET = withApiKey<{ file: string }>(async ({ tenant, params }) => {
  const file = await withFile(params.file, async (target) =>
    target.kind === 'result' ? getResultFile({ db: tenant.db, jobId: target.jobId }) : toOpenAIFile(await getDataset({ db: tenant.db, id: target.datasetId })),
  );
  return Response.json(file);
});

/** Refused (409) while a fine-tuning job uses the file, and for a job's result file, which stays with its job. */
export const DELETE = withApiKey<{ file: string }>(async ({ tenant, params }) => {
  const { id } = await withFile(params.file, async (target) => {
    if (target.kind === 'result') {
      await getResultFile({ db: tenant.db, jobId: target.jobId });
      throw new LatheError('CONFLICT', 'A result file belongs to its fine-tuning job and is kept as long as the job is.', { param: 'file_id', reason: 'in_use' });
    }
    return deleteDataset({ tenant, id: target.datasetId });
  });
  return Response.json({ id: toFileId(id), object: 'file', deleted: true });
});

const refuse = methodNotAllowed('GET', 'DELETE');
export { refuse as POST, refuse as PUT, refuse as PATCH };
