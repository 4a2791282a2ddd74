// Pushing a fine-tuned model to the Hugging Face Hub with the organization's token: a request
// (checked, recorded as a HubPush row, audited, queued on hub.push) and its run in the worker,
// which materializes the adapter (or the merged model, made on first use), writes the model card
// and pushes everything in one commit, reporting progress on the row.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { getDb } from '@/server/db';
import { Prisma, tenantDb, type TenantContext } from '@/server/db/tenant';
import { enqueue, pushToHubJob } from '@/server/queue/contracts';
import { getBoss } from '@/server/queue/boss';
import { artifactStoreConfigFromEnv, createArtifactStore, type ArtifactStore } from '@/server/services/artifacts/create-artifact-store';
import { materializeFolder, type StoredFolder } from '@/server/services/artifacts/folders';
import { recordAudit } from '@/server/services/audit/record-audit';
import { LatheError, notFound } from '@/server/services/errors';
import { ModelError } from '@/server/services/model-format/errors';
import { hubTokenFor } from '@/server/services/orgs/hub-token';
import { modelCard } from './push-model-card';
import { folderPushFiles, pushToHub, ZHubRepoId, type PushProgress } from './push-to-hub';

export const ZHubPushInput = z.object({
  fineTunedModel: z.string().min(1),
  repo: z.string().trim().regex(ZHubRepoId, 'Write the Hub repo as namespace/name, for example your-org/my-model.'),
  kind: z.enum(['adapter', 'merged']).default('adapter'),
  private: z.boolean().default(true),
});
export type THubPushInput = z.input<typeof ZHubPushInput>;

const pushSelect = { id: true, repo: true, kind: true, private: true, status: true, progress: true, error: true, url: true, commitOid: true, createdAt: true, finishedAt: true } as const;

export async function requestHubPush({ tenant, input }: { tenant: TenantContext; input: THubPushInput }) {
  const parsed = ZHubPushInput.safeParse(input);
  if (!parsed.success) throw new LatheError('BAD_REQUEST', parsed.error.issues[0]!.message, { param: String(parsed.error.issues[0]!.path[0] ?? 'repo') });
  const { fineTunedModel, repo, kind } = parsed.data;
  const tuned = await tenant.db.fineTunedModel.findFirst({ where: { OR: [{ id: fineTunedModel }, { name: fineTunedModel }] }, select: { id: true, name: true, artifacts: true } });
  if (!tuned) throw notFound('Fine-tuned model');
  if (!(tuned.artifacts as { adapter?: unknown } | null)?.adapter) throw new LatheError('PRECONDITION_FAILED', 'This model has no adapter to push yet.', { reason: 'hub_push_unavailable' });
  const token = await hubTokenFor({ db: getDb(), organizationId: tenant.scope.organizationId });
  if (!token) {
    throw new LatheError('PRECONDITION_FAILED', "The organization has no Hugging Face token. An owner or admin adds one with write access in the organization's settings.", { reason: 'hub_token_missing' });
  }
  const push = await tenant.db.$transaction(async (tx) => {
    const row = await tx.hubPush.create({
      data: { organizationId: tenant.scope.organizationId, projectId: tenant.scope.projectId, fineTunedModelId: tuned.id, repo, kind, private: parsed.data.private, createdById: tenant.actor.userId ?? null },
      select: pushSelect,
    });
    await recordAudit(tx, { organizationId: tenant.scope.organizationId, actor: tenant.actor, action: 'model.hub_push', targetType: 'FineTunedModel', targetId: tuned.id, data: { repo, kind, private: parsed.data.private, pushId: row.id } });
    return row;
  });
  await enqueue(await getBoss(), pushToHubJob, { pushId: push.id }, { singletonKey: `hub-push:${push.id}` });
  return push;
}

/** The pushes of a fine-tuned model, newest first. */
export async function listHubPushes({ tenant, fineTunedModel }: { tenant: TenantContext; fineTunedModel: string }) {
  const tuned = await tenant.db.fineTunedModel.findFirst({ where: { OR: [{ id: fineTunedModel }, { name: fineTunedModel }] }, select: { id: true } });
  if (!tuned) throw notFound('Fine-tuned model');
  return tenant.db.hubPush.findMany({ where: { fineTunedModelId: tuned.id }, orderBy: { createdAt: 'desc' }, take: 20, select: pushSelect });
}

export type HubPushOutcome = { status: 'succeeded'; url: string } | { status: 'failed'; code: string; error: string } | { status: 'skipped' };

export interface RunHubPushOptions {
  signal?: AbortSignal;
  /** Hub base URL; default HF_ENDPOINT or the public Hub. */
  hubUrl?: string;
  workRoot?: string;
  /**
   * Makes (or finds) the merged model in Hugging Face's layout, for kind "merged": the serving
   * service's merge, handed in by the caller so that this service does not depend on serving.
   */
  mergedHf?: (args: { tenant: TenantContext; store: ArtifactStore; fineTunedModelId: string; workRoot: string }) => Promise<StoredFolder>;
}

/**
 * Runs a queued push. A push the Hub or the model refuses ends failed with its reason (the queue
 * job completes); only infrastructure failures throw, for pg-boss to retry.
 */
export async function runHubPush(pushId: string, options: RunHubPushOptions = {}): Promise<HubPushOutcome> {
  const db = getDb();
  const push = await db.hubPush.findUnique({ where: { id: pushId } });
  if (!push || push.status === 'succeeded' || push.status === 'failed') return { status: 'skipped' };
  const tenant: TenantContext = { db: tenantDb({ organizationId: push.organizationId, projectId: push.projectId }, db), scope: { organizationId: push.organizationId, projectId: push.projectId }, actor: { userId: push.createdById } };
  const tuned = await db.fineTunedModel.findUniqueOrThrow({
    where: { id: push.fineTunedModelId },
    select: {
      id: true,
      name: true,
      artifacts: true,
      baseModel: { select: { name: true, license: true } },
      job: { select: { hyperparameters: true, trainedTokens: true, progress: true, trainingDataset: { select: { filename: true, name: true, sha256: true, examples: true } }, checkpoints: { orderBy: { step: 'desc' }, take: 1, select: { metrics: true } } } },
    },
  });
  await db.hubPush.update({ where: { id: pushId }, data: { status: 'running', error: Prisma.DbNull } });
  const workRoot = options.workRoot ?? path.join(process.env.LATHE_DATA_DIR || path.resolve('.lathe'), 'tmp', 'hub-push');
  await mkdir(workRoot, { recursive: true });
  const work = await mkdtemp(path.join(workRoot, 'push-'));
  let lastWrite = 0;
  const onProgress = (progress: PushProgress) => {
    const now = Date.now();
    if (progress.phase !== 'done' && now - lastWrite < 1000) return;
    lastWrite = now;
    // Only while running: a late write never overwrites the finished row's progress.
    void db.hubPush.updateMany({ where: { id: pushId, status: 'running' }, data: { progress: { ...progress } } }).catch(() => undefined);
  };
  try {
    const token = await hubTokenFor({ db, organizationId: push.organizationId });
    const store = createArtifactStore(artifactStoreConfigFromEnv());
    const artifacts = (tuned.artifacts ?? {}) as { adapter?: StoredFolder };
    if (!artifacts.adapter) throw new ModelError('invalid_adapter', 'the model has no adapter to push');
    if (push.kind === 'merged' && !options.mergedHf) throw new LatheError('INTERNAL', 'This process cannot merge models for a push.', { reason: 'merge_failed' });
    const folder = push.kind === 'merged' ? await options.mergedHf!({ tenant, store, fineTunedModelId: tuned.id, workRoot: work }) : artifacts.adapter;
    const dir = await materializeFolder(store, folder, path.join(work, push.kind));
    const job = tuned.job;
    const progress = (job?.progress ?? {}) as { trainLoss?: number; validLoss?: number };
    const checkpointMetrics = (job?.checkpoints[0]?.metrics ?? {}) as Record<string, number | null>;
    const card = modelCard({
      name: tuned.name,
      kind: push.kind === 'merged' ? 'merged' : 'adapter',
      baseModel: tuned.baseModel.name,
      license: tuned.baseModel.license,
      method: ((job?.hyperparameters as { method?: { type?: string } } | null)?.method?.type === 'dpo' ? 'dpo' : 'sft'),
      dataset: job ? { name: job.trainingDataset.filename ?? job.trainingDataset.name, sha256: job.trainingDataset.sha256, examples: job.trainingDataset.examples } : null,
      hyperparameters: (job?.hyperparameters ?? null) as Record<string, unknown> | null,
      metrics: { train_loss: progress.trainLoss, valid_loss: progress.validLoss, ...checkpointMetrics },
      trainedTokens: job?.trainedTokens != null ? Number(job.trainedTokens) : null,
    });
    const result = await pushToHub({ hubUrl: options.hubUrl, token, signal: options.signal, repo: push.repo, private: push.private, files: await folderPushFiles(dir, card), commitMessage: `Push ${tuned.name} from Lathe`, onProgress });
    await db.hubPush.update({ where: { id: pushId }, data: { status: 'succeeded', url: result.url, commitOid: result.commitOid, finishedAt: new Date(), progress: { phase: 'done', bytes: result.files.reduce((a, f) => a + f.size, 0), totalBytes: result.files.reduce((a, f) => a + f.size, 0) } } });
    return { status: 'succeeded', url: result.url };
  } catch (error) {
    if (error instanceof ModelError && error.code === 'aborted') throw error;
    if (!(error instanceof ModelError) && !(error instanceof LatheError)) throw error;
    const code = error instanceof ModelError ? error.code : (error.details.reason ?? 'hub_error');
    await db.hubPush.update({ where: { id: pushId }, data: { status: 'failed', error: { code, message: error.message }, finishedAt: new Date() } });
    return { status: 'failed', code, error: error.message };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The last attempt broke on something else than the Hub's answer: the row says so. */
export async function failHubPush(pushId: string, error: unknown): Promise<void> {
  await getDb().hubPush.updateMany({ where: { id: pushId, status: { in: ['queued', 'running'] } }, data: { status: 'failed', error: { code: 'hub_error', message: error instanceof Error ? error.message : String(error) }, finishedAt: new Date() } });
}
