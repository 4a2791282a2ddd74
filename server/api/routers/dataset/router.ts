import { z } from 'zod';
import { projectProcedure, router } from '@/server/api/trpc';
import { maxUploadBytes } from '@/server/services/datasets/platform/config';
import { DATASET_PURPOSES } from '@/lib/universal/dataset-report';
import { createDataset } from '@/server/services/datasets/platform/create-dataset';
import { deleteDataset } from '@/server/services/datasets/platform/delete-dataset';
import { MAX_PREVIEW_EXAMPLES, previewDatasetForModel } from '@/server/services/datasets/platform/preview-dataset-for-model';
import { getDataset, listDatasets } from '@/server/services/datasets/platform/read-datasets';

/** createFromText is for small files (tests, scripts); larger ones go through the resumable upload. */
export const TEXT_UPLOAD_MAX_BYTES = 16 * 1024 * 1024;

const ZId = z.object({ id: z.string().min(1).max(64) });

export const ZCreateDatasetFromText = z.object({
  filename: z.string().trim().min(1).max(255),
  content: z.string().max(TEXT_UPLOAD_MAX_BYTES),
  name: z.string().trim().max(200).optional(),
  /** SHA-256 (hex) of the UTF-8 content, checked when given. */
  sha256: z.string().optional(),
  /** "evals" for an eval set. */
  purpose: z.enum(DATASET_PURPOSES).default('fine-tune'),
});

export const datasetRouter = router({
  /** Where an upload by this caller lands, and the size limit to check before sending. */
  uploadTarget: projectProcedure.query(({ ctx }) => ({ ...ctx.tenant.scope, maxUploadBytes: maxUploadBytes() })),
  list: projectProcedure.input(z.object({ purpose: z.string().max(64).optional() }).optional()).query(({ ctx, input }) => listDatasets({ db: ctx.tenant.db, purpose: input?.purpose })),
  get: projectProcedure.input(ZId).query(({ ctx, input }) => getDataset({ db: ctx.tenant.db, id: input.id })),
  createFromText: projectProcedure.input(ZCreateDatasetFromText).mutation(({ ctx, input }) =>
    createDataset({
      tenant: ctx.tenant,
      source: { bytes: Buffer.from(input.content, 'utf8') },
      filename: input.filename,
      name: input.name,
      expectedSha256: input.sha256,
      purpose: input.purpose,
      maxBytes: Math.min(TEXT_UPLOAD_MAX_BYTES, maxUploadBytes()),
    }),
  ),
  delete: projectProcedure.input(ZId).mutation(({ ctx, input }) => deleteDataset({ tenant: ctx.tenant, id: input.id })),
  preview: projectProcedure
    .input(ZId.extend({ model: z.string().min(1).max(200), limit: z.number().int().min(1).max(MAX_PREVIEW_EXAMPLES).default(5) }))
    .query(({ ctx, input }) => previewDatasetForModel({ tenant: ctx.tenant, id: input.id, model: input.model, limit: input.limit })),
});
