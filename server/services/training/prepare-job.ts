// validating_files → queued: tokenize the job's files with its base model's tokenizer and chat
// template, store them, then reserve the estimated cost and queue the job in one transaction, and
// hand it to the runners' queue.
import type { Prisma } from '@/server/generated/prisma/client';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Db } from '@/server/db';
import type { ArtifactStore } from '@/server/services/artifacts/create-artifact-store';
import { materializeModelFolder } from '@/server/services/model-registry/model-artifacts';
import { tokenizeDataset, type TokenizeStats } from '@/server/services/datasets/tokenize-dataset';
import { estimateCost } from '@/server/services/datasets/estimate-cost';
import { releaseReservation, reserveForJob } from '@/server/services/credits/ledger';
import { trainingPricePerMillion } from '@/lib/universal/price-book';
import { getPriceBook } from '@/server/services/billing/price-book';
import { LatheError } from '@/server/services/errors';
import { DatasetError } from '@/server/services/datasets/dataset-error';
import { ModelError } from '@/server/services/model-format/errors';
import { ArtifactError } from '@/server/services/artifacts/errors';
import { appendJobEvents, nextEventSeq, notifyJob } from '@/server/services/training/job-events';
import { hiddenSizeOf, resolveAdvanced, type TCheckpointSelection, type TEarlyStopping, type THyperparameters, type TPreset } from '@/lib/universal/hyperparameters';
import type { AdapterFrom } from '@/server/services/training/training-choices';
import { readModelConfig } from '@/server/services/model-format/hf-config';
import { resolveHyperparameters, trainerConfig } from '@/server/services/training/hyperparameters';
import { markFailed, markQueued, type JobError } from '@/server/services/training/job-transitions';
import { emitJobEnded } from '@/server/services/webhooks/domain-events';
import { mailJobEnded } from '@/server/services/training/job-end-mail';
import { dpoTrainerConfig, resolvedBeta, storedMethod } from '@/server/services/training/fine-tune-method';
import { enqueue, prepareTrainingJob, runTrainingJob } from '@/server/queue/contracts';
import type { PgBoss } from 'pg-boss';

const AUTO_VALIDATION_PERCENT = 10;
/** Dataset states of a file that passed validation (TOKENIZING and READY come after VALID). */
const USABLE = new Set(['VALID', 'TOKENIZING', 'READY']);
const BEING_VALIDATED = new Set(['UPLOADED', 'VALIDATING']);
/** How long a job waits in validating_files for the worker to validate its files, and how often it looks. */
const VALIDATION_WAIT_MS = 60 * 60_000;
const VALIDATION_RECHECK_SECONDS = 2;

export type JobArtifacts = {
  train?: { sha256: string; size: number };
  valid?: { sha256: string; size: number } | null;
  trainerConfig?: Record<string, unknown>;
  tokenStats?: TokenizeStats;
  adapter?: Record<string, { sha256: string; size: number }>;
  adapterGguf?: { sha256: string; size: number };
  metrics?: { sha256: string; size: number };
  /** The adapter of the fine-tuned model this job continues from: the trainer's starting point. */
  initAdapter?: Record<string, { sha256: string; size: number }>;
  /** Which adapter the run published: the best checkpoint by validation loss or the last step. */
  adapterFrom?: AdapterFrom;
  /** The trainer's log, kept after the job. */
  log?: { sha256: string; size: number; lines: number };
};

/** Fails a job that has not ended, releasing whatever it had reserved. */
export async function failJob(db: Db, jobId: string, error: JobError) {
  if (await markFailed(db, jobId, error)) {
    // Once failed, the job can no longer be reserved for (see the queueing transaction below).
    await releaseReservation({ db, jobId });
    await appendJobEvents({ db, jobId, events: [{ seq: await nextEventSeq(db, jobId), level: 'error', message: error.message, data: { code: error.code } }] });
    await notifyJob(db, { jobId, status: 'failed' });
    await emitJobEnded({ db, jobId, status: 'failed' });
    await mailJobEnded({ db, jobId });
  }
}

export async function prepareJob({ db, store, boss, jobId, workRoot = os.tmpdir() }: { db: Db; store: ArtifactStore; boss: PgBoss; jobId: string; workRoot?: string }) {
  const job = await db.trainingJob.findUnique({ where: { id: jobId }, include: { baseModel: true, trainingDataset: true, validationDataset: true, parentModel: { select: { artifacts: true } } } });
  if (!job || job.status !== 'validating_files') return;
  const fail = (code: string, message: string, param?: string) => failJob(db, jobId, { code, message, param: param ?? null });

  const files = [['training_file', job.trainingDataset], ['validation_file', job.validationDataset]] as const;
  const unvalidated = files.find(([, dataset]) => dataset && BEING_VALIDATED.has(dataset.status));
  if (unvalidated) {
    const [param, dataset] = unvalidated;
    // A job may be created the moment its file is uploaded, before the worker has validated it.
    if (Date.now() - job.createdAt.getTime() < VALIDATION_WAIT_MS) {
      await enqueue(boss, prepareTrainingJob, { jobId }, { startAfter: VALIDATION_RECHECK_SECONDS });
      return;
    }
    return fail('file_not_ready', `The ${param.replace('_', ' ')} ${dataset!.filename ?? dataset!.name} was still being validated an hour after the job was created. Upload it again and create a new job.`, param);
  }
  for (const [param, dataset] of files) {
    if (!dataset) continue;
    if (!USABLE.has(dataset.status)) {
      const report = dataset.validation as { byCode?: Record<string, { samples?: { line: number; message: string }[] }> } | null;
      const first = report?.byCode ? Object.values(report.byCode).flatMap((c) => c.samples ?? [])[0] : undefined;
      return fail('invalid_file', `The ${param.replace('_', ' ')} ${dataset.filename ?? dataset.name} is not valid (${dataset.status.toLowerCase()})${first ? `: line ${first.line}: ${first.message}` : dataset.error ? `: ${dataset.error}` : ''}.`, param);
    }
    if (!dataset.sha256) return fail('invalid_file', `The ${param.replace('_', ' ')} has no stored content.`, param);
  }

  const hp = job.hyperparameters as THyperparameters & { preset?: TPreset; early_stopping?: TEarlyStopping; select_checkpoint?: TCheckpointSelection; evaluation?: Prisma.InputJsonObject };
  const work = await fs.mkdtemp(path.join(workRoot, `lathe-prepare-${jobId}-`));
  try {
    const modelDir = path.join(work, 'model');
    await materializeModelFolder({ store, artifacts: job.baseModel.artifacts, destDir: modelDir });
    const trainFile = path.join(work, 'train.jsonl');
    await store.materialize(job.trainingDataset.sha256!, trainFile);
    // The job's own maximum, else the model's context length up to ADVANCED_AUTO.maxSequenceLength.
    const maxLength = resolveAdvanced(hp, job.baseModel.contextLength).max_sequence_length;
    const trainOut = path.join(work, 'train.ltok');
    const validOut = path.join(work, 'valid.ltok');
    let stats: TokenizeStats;
    const method = storedMethod(job.hyperparameters);
    const pairs = method?.type === 'dpo';
    if (job.validationDataset) {
      stats = await tokenizeDataset({ input: trainFile, modelDir, output: trainOut, maxLength, pairs });
      const validFile = path.join(work, 'valid.jsonl');
      await store.materialize(job.validationDataset.sha256!, validFile);
      const validStats = await tokenizeDataset({ input: validFile, modelDir, output: validOut, maxLength, pairs });
      stats = { ...stats, validation: validStats.train };
    } else {
      const examples = job.trainingDataset.examples ?? 0;
      // Large enough files hold out a share for validation loss; tiny ones train on everything.
      // Early stopping needs a validation loss, so it holds out a share of any file.
      const split = examples >= 50 || hp.early_stopping ? { percent: AUTO_VALIDATION_PERCENT, seed: job.seed } : undefined;
      stats = await tokenizeDataset({ input: trainFile, modelDir, output: trainOut, validOutput: split ? validOut : undefined, validationSplit: split, maxLength, pairs });
    }
    if (hp.early_stopping && !(stats.validation && stats.validation.examples > 0)) {
      return fail('early_stopping_without_validation', 'Early stopping needs a validation loss: give a validation file, or a training file of at least two examples to hold some out.', 'early_stopping');
    }
    if (stats.train.examples === 0 || stats.train.trainedTokens === 0) return fail('invalid_file', 'The training file has no assistant tokens to train on after tokenization.', 'training_file');

    // The width "auto" scales the learning rate by: the model's own config.json, which every
    // trainable model has; the import's record of it otherwise.
    const hiddenSize = await readModelConfig(modelDir).then((c) => c.hiddenSize, () => hiddenSizeOf(job.baseModel.details));
    const resolved = resolveHyperparameters({ requested: hp, preset: hp.preset, examples: stats.train.examples, trainedTokens: stats.train.trainedTokens, hiddenSize, contextLength: job.baseModel.contextLength });
    const pricePerMillionTokens = trainingPricePerMillion(await getPriceBook({ db }), job.baseModel);
    const cost = estimateCost({ trainedTokens: stats.train.trainedTokens, epochs: resolved.n_epochs, pricePerMillionTokens });
    const train = await store.put(trainOut);
    const valid = stats.validation && stats.validation.examples > 0 ? await store.put(validOut) : null;
    const config = trainerConfig({
      hyperparameters: resolved,
      seed: job.seed,
      sequenceLength: Math.min(maxLength, Math.max(16, stats.train.maxExampleTokens)),
      baseModelName: job.baseModel.name,
      examples: stats.train.examples,
      earlyStopping: hp.early_stopping ?? null,
      selectCheckpoint: hp.select_checkpoint ?? null,
    });
    const parentAdapter = (job.parentModel?.artifacts as { adapter?: Record<string, { sha256: string; size: number }> } | null)?.adapter;
    if (job.parentModelId && !parentAdapter) return fail('model_not_trainable', 'The fine-tuned model this job continues from no longer has a stored adapter.', 'model');
    if (method) Object.assign(config, dpoTrainerConfig(method));
    const artifacts: JobArtifacts = {
      train: { sha256: train.sha256, size: train.size },
      valid: valid ? { sha256: valid.sha256, size: valid.size } : null,
      trainerConfig: config,
      tokenStats: stats,
      ...(parentAdapter ? { initAdapter: parentAdapter } : {}),
    };
    // Reserved in the transaction that queues the job, and only if it does: a job cancelled while
    // it was being prepared holds nothing, and nothing can fail between the two.
    let queued: boolean;
    try {
      queued = await db.$transaction(async (tx) => {
        const choices = {
          ...(hp.early_stopping ? { early_stopping: hp.early_stopping } : {}),
          ...(hp.select_checkpoint ? { select_checkpoint: hp.select_checkpoint } : {}),
          ...(method ? { method: { ...method, beta: resolvedBeta(method) } } : {}),
          // Read when the job succeeds (finish-job.ts queues the evaluation it asks for).
          ...(hp.evaluation ? { evaluation: hp.evaluation } : {}),
        };
        const prepared = { hyperparameters: { ...resolved, preset: hp.preset ?? 'standard', ...choices }, trainedTokens: BigInt(cost.billedTokens), estimatedCost: cost.credits, artifacts: artifacts as object };
        if (!(await markQueued(tx, jobId, prepared))) return false;
        await reserveForJob({ db, tx, organizationId: job.organizationId, jobId, amount: cost.credits, unitPrice: pricePerMillionTokens, actor: {} });
        return true;
      });
    } catch (error) {
      if (error instanceof LatheError && error.code === 'PAYMENT_REQUIRED') return fail('insufficient_credits', error.message);
      throw error;
    }
    if (!queued) return;
    const seq = await nextEventSeq(db, jobId);
    await appendJobEvents({
      db,
      jobId,
      events: [
        { seq, message: `Files validated: ${stats.train.examples} training examples, ${stats.train.trainedTokens} trained tokens per epoch${stats.validation ? `, ${stats.validation.examples} validation examples` : ''}.` },
        { seq: seq + 1, message: `Job queued: ${resolved.n_epochs} epochs, batch size ${resolved.batch_size}, learning rate ${resolved.learning_rate}; ${cost.credits.toFixed(4)} credits reserved.` },
      ],
    });
    await notifyJob(db, { jobId, status: 'queued' });
    await enqueue(boss, runTrainingJob, { jobId, attempt: 1 }, { singletonKey: `train:${jobId}:1` });
  } catch (error) {
    // Problems with the content fail the job; anything else (database, store) is retried.
    if (error instanceof DatasetError || error instanceof ModelError || error instanceof ArtifactError) return fail(error.code, error.message);
    throw error;
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}
