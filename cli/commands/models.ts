import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { CliError, homeProject, userByEmail, withDatabase } from '@/cli/context';
import type { Db } from '@/server/db';
import { tenantDb } from '@/server/db/tenant';
import { listAllBaseModels, requestModelImport, toModelSummary, type TModelImportSource } from '@/server/services/model-registry';
import type { ModelImportProgress } from '@/server/services/model-registry/run-model-import';

type ImportOptions = { name: string; email?: string; project?: string; hub?: string; revision?: string };

export function registerModelsCommands(program: Command) {
  const models = program.command('models').description('base models: import and list');
  models
    .command('import')
    .description('import a base model (Hugging Face folder, GGUF file or Hub repo), convert it and wait until it is ready')
    .argument('[source]', 'a folder in Hugging Face layout, or a .gguf file (serving only)')
    .requiredOption('--name <name>', 'the name the API and jobs use for the model')
    .option('--email <email>', "import into this user's personal project instead of platform-wide")
    .option('--project <id>', 'with --email: import into this project of the user')
    .option('--hub <repo>', 'download this Hugging Face Hub repo (e.g. HuggingFaceTB/SmolLM2-135M-Instruct) instead of a local source')
    .option('--revision <rev>', 'with --hub: branch, tag or commit (default main)')
    .action(async (sourceArg: string | undefined, opts: ImportOptions) => {
      const source = resolveSource(sourceArg, opts);
      await withDatabase(async (db) => {
        const model = await createRow(db, source, opts);
        const controller = new AbortController();
        const onSigint = () => controller.abort();
        process.once('SIGINT', onSigint);
        const reporter = progressReporter();
        try {
          // Loaded here, not at start-up: the conversion code is heavy and other commands never need it.
          const { runModelImport } = await import('@/server/services/model-registry/run-model-import');
          const outcome = await runModelImport(model.id, { db, signal: controller.signal, onProgress: reporter.update });
          reporter.stop();
          if (outcome.status === 'FAILED') throw new CliError(`import of ${model.name} failed (${outcome.code}): ${outcome.error}`);
          if (outcome.status === 'SKIPPED') throw new CliError(`import of ${model.name} did not run: ${outcome.reason}`);
          const m = toModelSummary(outcome.model, null);
          console.log(`model ${m.name} READY id=${m.id}`);
          console.log(
            `  ${m.architecture} (${m.family}), ${formatCount(m.parameters)} parameters, context ${m.contextLength}, chat template: ${m.chatCapable ? 'yes' : 'no'}, ` +
              `GGUF ${m.ggufType}, ${formatBytes(m.sizeBytes)} stored, ${m.scope === 'platform' ? 'platform-wide' : 'organization'}${m.trainable ? '' : ', serving only'}`,
          );
        } finally {
          reporter.stop();
          process.off('SIGINT', onSigint);
        }
      });
    });

  models
    .command('list')
    .description('list every base model with its state')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      await withDatabase(async (db) => {
        const rows = await listAllBaseModels({ db });
        if (opts.json) {
          console.log(JSON.stringify(rows, null, 2));
          return;
        }
        if (rows.length === 0) {
          console.log('no base models; import one with: lathe models import DIR --name NAME');
          return;
        }
        for (const m of rows) {
          const state = m.status === 'READY' ? 'READY' : m.status === 'FAILED' ? `FAILED: ${m.error}` : `${m.status} ${Math.round((m.progress ?? 0) * 100)}%`;
          const facts = m.status === 'READY' ? ` ${m.architecture} ${formatCount(m.parameters)} ctx=${m.contextLength} chat=${m.chatCapable ? 'yes' : 'no'} ${formatBytes(m.sizeBytes)}` : '';
          console.log(`${m.name}\t${m.id}\t${m.organizationId ?? 'platform'}\t${state}${facts}`);
        }
      });
    });
}

function resolveSource(sourceArg: string | undefined, opts: ImportOptions): TModelImportSource {
  if (opts.hub && sourceArg) throw new CliError('give either a local source or --hub, not both');
  if (opts.hub) return { kind: 'hub', repo: opts.hub, revision: opts.revision };
  if (!sourceArg) throw new CliError('give the folder (or .gguf file) to import, or --hub REPO');
  if (opts.revision) throw new CliError('--revision only applies to --hub imports');
  const full = path.resolve(sourceArg);
  if (!existsSync(full)) throw new CliError(`${full} does not exist`);
  return statSync(full).isFile() ? { kind: 'gguf', file: full } : { kind: 'folder', dir: full };
}

async function createRow(db: Db, source: TModelImportSource, opts: ImportOptions) {
  const operator = { userId: null };
  if (!opts.email) {
    if (opts.project) throw new CliError('--project needs --email');
    return requestModelImport({ admin: { db, actor: operator }, source, name: opts.name, scope: 'platform', enqueue: false });
  }
  const user = await userByEmail(db, opts.email);
  const project = await homeProject(db, user.id, opts.project);
  const scope = { organizationId: project.organizationId, projectId: project.id };
  return requestModelImport({ tenant: { db: tenantDb(scope, db), scope, actor: operator }, source, name: opts.name, scope: 'project', enqueue: false });
}

const STEP_LABEL: Record<ModelImportProgress['step'], string> = { download: 'downloading', store: 'storing files', convert: 'converting to GGUF', check: 'checking with llama.cpp' };

/** A progress bar on a terminal; otherwise one line per step, so logs stay readable. */
function progressReporter() {
  let bar: SingleBar | undefined;
  let lastLine = '';
  let stopped = false;
  return {
    update(p: ModelImportProgress) {
      if (stopped) return;
      const label = `${p.status.toLowerCase()}: ${STEP_LABEL[p.step]}`;
      if (process.stderr.isTTY) {
        bar ??= new SingleBar({ format: '{label} [{bar}] {percentage}% {detail}', stream: process.stderr, hideCursor: true, clearOnComplete: false });
        if (!bar.isActive) bar.start(100, 0, { label, detail: '' });
        bar.update(Math.round(p.progress * 100), { label, detail: p.totalBytes ? `${formatBytes(p.bytes ?? 0)} / ${formatBytes(p.totalBytes)}` : '' });
      } else if (label !== lastLine) {
        lastLine = label;
        console.error(label);
      }
    },
    stop() {
      if (stopped) return;
      stopped = true;
      bar?.stop();
    },
  };
}

function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '?';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = n;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

function formatCount(n: number | null): string {
  if (n === null) return '?';
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}K`;
  return String(n);
}
