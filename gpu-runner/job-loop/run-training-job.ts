// One run of one training job on this runner: claim it (fenced by attempt), stage the base model
// and tokenized data from the artifact store, run the trainer through the executor, turn its JSON
// lines into events, progress and checkpoints, and hand the adapter and its GGUF to the publish
// and finish services. Every domain write goes through server/services/training.
import { copyFileSync, linkSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Db } from '@/server/db';
import type { Logger } from '@/server/logger';
import type { ArtifactStore } from '@/server/services/artifacts/create-artifact-store';
import { materializeFolder, storeFolder } from '@/server/services/artifacts/folders';
import { materializeModelFolder } from '@/server/services/model-registry/model-artifacts';
import { nextEventSeq, notifyJob, appendJobEvents, type NewJobEvent } from '@/server/services/training/job-events';
import type { JobArtifacts } from '@/server/services/training/prepare-job';
import { claimJob, handBack, recordHeartbeat, recordProgress, recordRunLog, recordSlurm, type RunAttempt } from '@/server/services/training/job-transitions';
import { TrainerLog } from '@/gpu-runner/job-loop/trainer-log';
import { checkpointFiles, recordCheckpoint } from '@/server/services/training/job-checkpoints';
import { publishJob } from '@/server/services/training/publish-job';
import { finishJob, type RunEnding } from '@/server/services/training/finish-job';
import { runConversion } from '@/server/services/model-format/convert/run-conversion';
import type { TrainerExecutor, TrainerExit, TrainerRun, TrainerRunHandlers } from '@/gpu-runner/executors/types';
import type { SlurmExecutor, SlurmRun } from '@/gpu-runner/executors/slurm';
import { dpoMetrics, type TTrainerEvent } from '@/gpu-runner/trainer/events';
import { RetryQueue } from '@/gpu-runner/job-loop/retry-queue';

export type RunTrainingJobOptions = {
  db: Db;
  store: ArtifactStore;
  executor: TrainerExecutor;
  runnerId: string;
  jobId: string;
  attempt: number;
  workRoot: string;
  log: Logger;
  cpus?: number;
  gpus?: string[];
  memoryBytes?: number;
  heartbeatMs?: number;
  /** Aborted when the runner shuts down: the trainer checkpoints and the job goes back to the queue. */
  signal?: AbortSignal;
};

/** `detached`: the runner is shutting down and left its Slurm job running; the next runner re-attaches. */
export type RunOutcome = 'skipped' | 'succeeded' | 'failed' | 'cancelled' | 'requeued' | 'lost' | 'detached';

/** What TrainingJob.slurm holds: the scheduler's view, and the runner's place in the output. */
export type SlurmJobRecord = { jobId: string; partition: string | null; nodes: string | null; state: string; offset: number; seq: number };

/**
 * Hard links to a checkpoint's files, taken the moment the trainer announces it: the trainer
 * prunes older checkpoints (checkpoints_to_keep) while they may still wait in the write queue
 * behind a slow or restarting database. Null when the folder is already gone.
 */
function snapshotFolder(source: string, dest: string): string | null {
  const link = (from: string, to: string) => {
    mkdirSync(to, { recursive: true });
    for (const entry of readdirSync(from, { withFileTypes: true })) {
      const src = path.join(from, entry.name);
      const dst = path.join(to, entry.name);
      if (entry.isDirectory()) link(src, dst);
      else if (entry.isFile()) {
        try {
          linkSync(src, dst);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EXDEV' && (error as NodeJS.ErrnoException).code !== 'EPERM') throw error;
          copyFileSync(src, dst);
        }
      }
    }
  };
  try {
    rmSync(dest, { recursive: true, force: true });
    link(source, dest);
    return dest;
  } catch (error) {
    rmSync(dest, { recursive: true, force: true });
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** Tries to ask the scheduler about a job, since `scontrol` fails while slurmctld is busy. */
const SLURM_QUERY_TRIES = 5;

/** The scheduler's view of a job (null: it does not know it), asked up to SLURM_QUERY_TRIES times. */
async function askSlurm(executor: SlurmExecutor, slurmJobId: string) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await executor.query(slurmJobId);
    } catch (error) {
      if (attempt >= SLURM_QUERY_TRIES) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250 * 2 ** (attempt - 1)));
    }
  }
}

export async function runTrainingJob(opts: RunTrainingJobOptions): Promise<RunOutcome> {
  const { db, store, jobId, attempt, log } = opts;
  const fence: RunAttempt = { jobId, attempt };
  if (!(await claimJob(db, fence, opts.runnerId))) return 'skipped';
  const job = await db.trainingJob.findUniqueOrThrow({ where: { id: jobId }, include: { baseModel: true, organization: { select: { slug: true } } } });
  const artifacts = (job.artifacts ?? {}) as JobArtifacts;

  const writes = new RetryQueue(log);
  // A Slurm job this job's earlier attempt submitted and the scheduler still knows: follow it
  // from where that runner stopped reading, instead of submitting the job again.
  const slurmExecutor = opts.executor.kind === 'slurm' ? (opts.executor as SlurmExecutor) : null;
  const previousSlurm = slurmExecutor ? (job.slurm as SlurmJobRecord | null) : null;
  let reattach: SlurmJobRecord | null = null;
  if (previousSlurm?.jobId) {
    try {
      reattach = (await askSlurm(slurmExecutor!, previousSlurm.jobId)) ? previousSlurm : null;
    } catch (error) {
      // Only a scheduler that says it does not know the job lets this attempt submit it again: one
      // that cannot be asked may still be running it, and a second submission would train (and
      // charge) twice. The job goes back for the next attempt, as from a runner that stopped.
      log.warn({ jobId, slurmJobId: previousSlurm.jobId, err: error }, 'could not ask Slurm about the job this attempt would re-attach to; handing the job back instead of submitting it again');
      await handBack(db, fence);
      return 'detached';
    }
  }
  // The offset is saved in the same transaction as the events read up to it, so a re-attached
  // run (even after the runner was killed outright) reads on from the first line whose events are
  // not in the log, and numbers them after the last event there (the trainer's log lines and the
  // reaper's notice included): every event exactly once.
  let seq = await nextEventSeq(db, jobId);
  // Checkpoints an earlier attempt stored. Its log may lack some of them: a checkpoint is stored as
  // soon as the trainer announces it, its event with the next batch of events and the offset.
  const storedSteps = new Set(reattach ? (await db.checkpoint.findMany({ where: { jobId }, select: { step: true } })).map((c) => c.step) : []);
  const pendingEvents: NewJobEvent[] = [];
  const event = (e: Omit<NewJobEvent, 'seq' | 'createdAt'>) => pendingEvents.push({ ...e, seq: seq++, createdAt: new Date() });
  let slurmRun: SlurmRun | null = null;
  const slurmRecord = (): SlurmJobRecord | null =>
    slurmRun ? { jobId: slurmRun.id, partition: slurmRun.info?.partition ?? null, nodes: slurmRun.info?.nodes ?? null, state: slurmRun.info?.state ?? 'PENDING', offset: slurmRun.offset, seq } : null;
  let savedSlurm = '';
  const flushEvents = () => {
    const record = slurmRecord();
    const recordJson = JSON.stringify(record);
    if (!pendingEvents.length && recordJson === savedSlurm) return;
    const batch = pendingEvents.splice(0);
    // The offset and the next event number as of these events, saved once the events are.
    void writes.push('events', async () => {
      if (!record || recordJson === savedSlurm) {
        await appendJobEvents({ db, jobId, events: batch });
        return;
      }
      await db.$transaction(async (tx) => {
        await appendJobEvents({ db: tx, jobId, events: batch });
        await recordSlurm(tx, fence, record);
      });
      savedSlurm = recordJson;
    });
  };
  const flusher = setInterval(flushEvents, 300);

  let lost = false;
  let run: TrainerRun | undefined;
  let detach: (() => void) | undefined;
  const detached = new Promise<'detached'>((resolve) => (detach = () => resolve('detached')));
  const heartbeat = setInterval(async () => {
    try {
      if (!(await recordHeartbeat(db, fence))) {
        const current = await db.trainingJob.findUnique({ where: { id: jobId }, select: { attempt: true, status: true } });
        // Another runner took the job over (this one was presumed dead), or the job was deleted
        // with its account: stop without writing.
        if (!current || current.attempt !== attempt) {
          lost = true;
          void run?.cancel(2000);
        }
      }
    } catch {
      // The database is unreachable: keep training; events wait in the retry queue.
    }
  }, opts.heartbeatMs ?? 5000);
  const cancelWatch = setInterval(async () => {
    try {
      const row = await db.trainingJob.findUnique({ where: { id: jobId }, select: { cancelRequestedAt: true } });
      if (row?.cancelRequestedAt && run) void run.cancel();
    } catch {
      // retried on the next tick
    }
  }, 1000);
  // A Slurm job goes on without the runner: let go of it, and the next runner re-attaches.
  const onAbort = () => {
    if (slurmRun) {
      slurmRun.detach();
      detach!();
    } else void run?.cancel();
  };
  opts.signal?.addEventListener('abort', onAbort);

  const workspace = path.join(opts.workRoot, 'jobs', jobId);
  const modelDir = path.join(workspace, 'model');
  const dataDir = path.join(workspace, 'data');
  const outDir = path.join(workspace, 'out');
  // Written by the event handler and read after the trainer exits; an object so TypeScript does
  // not narrow them to their initial null across the callback.
  const seen: { lastProgress: Extract<TTrainerEvent, { event: 'progress' }> | null; terminal: TTrainerEvent | null } = { lastProgress: null, terminal: null };
  let lastEval: Record<string, number | null> = {};
  const stderrTail: string[] = [];
  let progressWritten = 0;
  // The trainer's log: each line an event of type `log` as it is written (the job page's logs
  // panel), and the whole of it stored with the job's artifacts when the run ends.
  const trainerLog = new TrainerLog(path.join(opts.workRoot, 'jobs', `${jobId}.log`), (message) => event({ type: 'log', message }));
  const storeLog = async (): Promise<Partial<JobArtifacts>> => {
    const stored = await trainerLog.close();
    if (!stored) return {};
    const ref = await store.put(stored.file);
    return { log: { sha256: ref.sha256, size: ref.size, lines: stored.lines } };
  };

  // A run that ends without publishing keeps its log too.
  const recordEndLog = async () => {
    flushEvents();
    const extra = await storeLog().catch((e: unknown) => {
      log.warn({ err: e, jobId }, 'could not store the trainer log');
      return {};
    });
    if ('log' in extra) await writes.run('log', () => recordRunLog(db, fence, { ...(job.artifacts as object), ...extra } as object));
  };

  // The end of a run goes through the write queue too, so a database restart at that moment
  // delays it instead of failing a job that trained; finishJob is safe to repeat.
  const finish = async (ending: RunEnding) => {
    flushEvents();
    await writes.push('finish', () => finishJob({ db, job, attempt, ending }));
  };

  let outcome: RunOutcome | undefined;
  try {
    if (!artifacts.train || !artifacts.trainerConfig) throw new Error('the job was queued without tokenized data');
    let resumeFrom: string | undefined;
    if (reattach) {
      // No runner event before a re-attached job's replayed output: those take the numbers saved with its offset.
      log.info({ jobId, slurmJobId: reattach.jobId, offset: reattach.offset }, 're-attaching to the running Slurm job');
    } else {
      event({ message: attempt > 1 ? `Fine-tuning job resumed on runner (attempt ${attempt}).` : 'Fine-tuning job started.' });
      await fs.rm(workspace, { recursive: true, force: true });
      await fs.mkdir(dataDir, { recursive: true });
      await materializeModelFolder({ store, artifacts: job.baseModel.artifacts, destDir: modelDir });
      await store.materialize(artifacts.train.sha256, path.join(dataDir, 'train.ltok'));
      if (artifacts.valid) await store.materialize(artifacts.valid.sha256, path.join(dataDir, 'valid.ltok'));
      if (artifacts.initAdapter) {
        await materializeFolder(store, artifacts.initAdapter, path.join(dataDir, 'init-adapter'));
        event({ message: 'Starting from the adapter of the fine-tuned model this job continues.' });
      }
    }

    if (job.lastCheckpointStep && !reattach) {
      const files = await checkpointFiles(db, jobId, job.lastCheckpointStep);
      if (files) {
        resumeFrom = path.join(outDir, 'checkpoints', `step-${job.lastCheckpointStep}`);
        await materializeFolder(store, files, resumeFrom);
        event({ message: `Resuming from the checkpoint at step ${job.lastCheckpointStep}.` });
      }
    }

    const spec = {
        jobId,
        modelDir,
        dataDir,
        trainFile: 'train.ltok',
        validFile: artifacts.valid ? 'valid.ltok' : undefined,
        initAdapter: artifacts.initAdapter ? 'init-adapter' : undefined,
        config: { ...artifacts.trainerConfig, threads: opts.cpus },
        outputDir: outDir,
        resumeFrom,
        gpus: opts.gpus,
        cpus: opts.cpus,
        memoryBytes: opts.memoryBytes,
      };
    const handlers: TrainerRunHandlers = {
        onStderrLine: (line) => {
          if (!lost) trainerLog.write(line);
          stderrTail.push(line);
          if (stderrTail.length > 20) stderrTail.shift();
        },
        onInvalidEvent: (line, problem) => log.warn({ jobId, line: line.slice(0, 500), problem }, 'ignored a trainer event that does not fit the protocol'),
        onEvent: (e) => {
          if (lost) return;
          switch (e.event) {
            case 'started':
              event({ message: `Training ${e.trainable_parameters.toLocaleString('en')} LoRA parameters for ${e.total_steps} steps on ${e.device} (${e.precision}).`, data: { total_steps: e.total_steps } });
              break;
            case 'progress': {
              seen.lastProgress = e;
              event({
                type: 'metrics',
                message: `Step ${e.step}/${e.total_steps}: training loss=${e.train_loss?.toFixed(4) ?? 'n/a'}`,
                data: { step: e.step, total_steps: e.total_steps, epoch: e.epoch, train_loss: e.train_loss, train_mean_token_accuracy: e.train_accuracy, learning_rate: e.learning_rate, tokens_per_s: e.tokens_per_s, eta_s: e.eta_s, ...dpoMetrics(e) },
              });
              if (Date.now() - progressWritten > 1000 || e.step === e.total_steps) {
                progressWritten = Date.now();
                const progress = { step: e.step, totalSteps: e.total_steps, epoch: e.epoch, etaSeconds: e.eta_s, trainLoss: e.train_loss, validLoss: lastEval.valid_loss ?? null, tokensPerSecond: e.tokens_per_s };
                void writes.push('progress', () => recordProgress(db, fence, progress).then(() => notifyJob(db, { jobId })));
              }
              break;
            }
            case 'eval':
              lastEval = e.full
                ? { ...lastEval, full_valid_loss: e.valid_loss, full_valid_mean_token_accuracy: e.valid_mean_token_accuracy, valid_loss: e.valid_loss }
                : { ...lastEval, valid_loss: e.valid_loss, valid_mean_token_accuracy: e.valid_mean_token_accuracy };
              event({
                type: 'metrics',
                message: `Step ${e.step}: ${e.full ? 'full validation' : 'validation'} loss=${e.valid_loss?.toFixed(4) ?? 'n/a'}`,
                data: e.full
                  ? { step: e.step, epoch: e.epoch, full_valid_loss: e.valid_loss, full_valid_mean_token_accuracy: e.valid_mean_token_accuracy }
                  : { step: e.step, epoch: e.epoch, valid_loss: e.valid_loss, valid_mean_token_accuracy: e.valid_mean_token_accuracy },
              });
              break;
            case 'checkpoint': {
              const metrics = { step: e.step, train_loss: seen.lastProgress?.train_loss ?? null, train_accuracy: seen.lastProgress?.train_accuracy ?? null, ...lastEval };
              const snapshot = snapshotFolder(e.path, path.join(workspace, 'stored-checkpoints', `step-${e.step}`));
              if (!snapshot) {
                // Re-read after a runner died between storing this checkpoint and logging it: the
                // trainer has since rotated the folder away, but the checkpoint is stored.
                if (storedSteps.has(e.step)) event({ message: `Checkpoint saved at step ${e.step}.`, data: { step: e.step } });
                else log.warn({ jobId, step: e.step, path: e.path }, 'checkpoint folder vanished before it could be stored');
                break;
              }
              void writes.push('checkpoint', async () => {
                const files = await storeFolder(store, snapshot);
                await recordCheckpoint({ db, run: fence, step: e.step, metrics, files });
                await fs.rm(snapshot, { recursive: true, force: true });
              });
              event({ message: `Checkpoint saved at step ${e.step}.`, data: { step: e.step } });
              break;
            }
            default:
              seen.terminal = e;
          }
        },
    };
    run = reattach ? await slurmExecutor!.attach(spec, reattach.jobId, reattach.offset, handlers) : await opts.executor.start(spec, handlers);
    if (run.executor === 'slurm') {
      slurmRun = run as SlurmRun;
      if (!reattach) event({ message: `Submitted to Slurm as job ${run.id}.`, data: { slurm_job_id: run.id } });
      // The Slurm job id is on the job before anything else can happen to this runner.
      flushEvents();
    }
    if (opts.signal?.aborted) onAbort();
    const ended = await Promise.race([run.exit, detached]);
    if (ended === 'detached') {
      flushEvents();
      await writes.drain();
      // The reaper requeues the job at once, and the next runner re-attaches to the Slurm job.
      await writes.push('hand back', () => handBack(db, fence));
      outcome = 'detached';
      return outcome;
    }
    const exit: TrainerExit = ended;
    flushEvents();
    await writes.drain();
    if (lost) return 'lost';
    const { lastProgress, terminal: end } = seen;
    const trainedSoFar = lastProgress?.trained_tokens ?? 0;

    if (end?.event === 'done') {
      const adapterFiles = await storeFolder(store, end.adapter_path);
      const metrics = await store.put(end.metrics_path);
      const ggufFile = path.join(workspace, 'adapter.gguf');
      await runConversion({ kind: 'adapter', baseModelDir: modelDir, adapterDir: end.adapter_path, outFile: ggufFile });
      const gguf = await store.put(ggufFile);
      const trainedTokens = end.metrics.trained_tokens;
      const adapterFrom = end.adapter_from
        ? { selected: end.adapter_from.selected, step: end.adapter_from.step, validLoss: end.best_checkpoint?.best_loss ?? null, earlyStopped: Boolean(end.early_stopped) }
        : undefined;
      if (end.early_stopped) event({ message: `Early stopping at step ${end.step}: the validation loss stopped improving.`, data: { step: end.step } });
      if (adapterFrom) {
        event({
          message: adapterFrom.selected === 'best'
            ? `The fine-tuned model is the best checkpoint: step ${adapterFrom.step}${adapterFrom.validLoss !== null ? `, validation loss ${adapterFrom.validLoss.toFixed(4)}` : ''}.`
            : `The fine-tuned model is the last step (${adapterFrom.step}).`,
          data: { adapter_from: adapterFrom },
        });
      }
      flushEvents();
      const extraArtifacts = { ...(await storeLog()), ...(adapterFrom ? { adapterFrom } : {}) };
      const name = await writes.run('publish', () =>
        publishJob({
          db,
          job,
          attempt,
          adapter: adapterFiles,
          adapterGguf: { sha256: gguf.sha256, size: gguf.size },
          metrics: { sha256: metrics.sha256, size: metrics.size },
          trainedTokens,
          extraArtifacts,
          progress: { ...(lastProgress ? { step: end.step, totalSteps: end.step } : {}), etaSeconds: 0, trainLoss: end.metrics.train_loss, validLoss: end.metrics.valid_loss },
        }),
      );
      if (!name) return 'lost';
      event({ message: `New fine-tuned model created: ${name}`, data: { fine_tuned_model: name } });
      event({ message: 'The job has successfully completed.', data: { ...end.metrics } });
      await finish({ status: 'succeeded', trainedTokens });
      return 'succeeded';
    }
    if (exit.cancelled || (end?.event === 'cancelled' && !exit.failure)) {
      if (opts.signal?.aborted && !(await writes.run('cancel check', () => db.trainingJob.findUnique({ where: { id: jobId }, select: { cancelRequestedAt: true } })))?.cancelRequestedAt) {
        // This runner is shutting down: hand the job back; the next runner resumes from the checkpoint.
        event({ message: 'Runner shutting down; the job returns to the queue and resumes from its last checkpoint.' });
        flushEvents();
        await writes.drain();
        // A lapsed heartbeat hands the job to the reaper, which requeues it with the next attempt.
        await writes.push('hand back', () => handBack(db, fence));
        return 'requeued';
      }
      await recordEndLog();
      event({ message: `Job cancelled at step ${end?.event === 'cancelled' ? end.step : lastProgress?.step ?? 0}; only completed steps are charged.`, data: { trained_tokens: trainedSoFar } });
      await finish({ status: 'cancelled', trainedTokens: trainedSoFar });
      return 'cancelled';
    }
    const error =
      end?.event === 'error'
        ? { code: end.code, message: end.message }
        : exit.failure
          ? exit.failure
          : exit.oomKilled
          ? { code: 'out_of_memory', message: 'The trainer ran out of memory. Use a smaller batch size or sequence length, or a runner with more memory.' }
          : { code: 'trainer_crashed', message: `The trainer exited with code ${exit.exitCode} without reporting an error. Last output: ${stderrTail.slice(-5).join(' | ') || 'none'}` };
    await recordEndLog();
    event({ level: 'error', message: `Fine-tuning failed: ${error.message}`, data: { code: error.code } });
    await finish({ status: 'failed', error });
    return 'failed';
  } catch (error) {
    log.error({ err: error, jobId }, 'training run failed');
    if (lost) return 'lost';
    const message = error instanceof Error ? error.message : String(error);
    event({ level: 'error', message: `Fine-tuning failed: ${message}` });
    await finish({ status: 'failed', error: { code: 'runner_error', message } }).catch((e: unknown) => log.error({ err: e }, 'could not record the failure'));
    return 'failed';
  } finally {
    clearInterval(flusher);
    clearInterval(heartbeat);
    clearInterval(cancelWatch);
    opts.signal?.removeEventListener('abort', onAbort);
    await trainerLog.close().catch(() => null);
    await fs.rm(trainerLog.file, { force: true }).catch(() => {});
    // A detached Slurm job goes on writing here.
    if (outcome !== 'detached') await fs.rm(workspace, { recursive: true, force: true }).catch(() => {});
  }
}
