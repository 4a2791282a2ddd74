// A runner's job loop in a process of its own, for tests that kill it without warning (SIGKILL:
// no abort, no hand-back, no last flush). Runs one attempt of one job on the Slurm executor with
// the database, artifact store and SLURM_CONF of the environment it inherits.
//   node --import tsx tests/helpers/run-training-job-child.ts '{"jobId":...,"attempt":1,...}'
import { getDb } from '@/server/db';
import { logger } from '@/server/logger';
import { artifactStoreConfigFromEnv, createArtifactStore } from '@/server/services/artifacts/create-artifact-store';
import { createSlurmExecutor } from '@/gpu-runner/executors/slurm';
import { runTrainingJob } from '@/gpu-runner/job-loop/run-training-job';

const { jobId, attempt, runnerId, workRoot, partition } = JSON.parse(process.argv[2]!) as { jobId: string; attempt: number; runnerId: string; workRoot: string; partition: string };
const outcome = await runTrainingJob({
  db: getDb(),
  store: createArtifactStore(artifactStoreConfigFromEnv()),
  executor: createSlurmExecutor({ defaults: { partition }, pollMs: 100 }),
  runnerId,
  jobId,
  attempt,
  workRoot,
  log: logger.child({ test: 'run-training-job-child' }, { level: 'silent' }),
  cpus: 1,
  heartbeatMs: 250,
});
process.stdout.write(`${outcome}\n`);
process.exit(0);
