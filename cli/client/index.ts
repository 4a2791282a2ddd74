// The end-user CLI: `lathe login`, `datasets`, `jobs`, `models`, `chat`. It speaks HTTP through
// @lathe/sdk with an API key and never opens the database, unlike the operator commands in
// cli/commands. Every command takes --json (one JSON document on stdout) and ends with one of the
// exit codes below (documented in content/docs/cli-for-users.mdx).
import { createInterface } from 'node:readline/promises';
import { Command, CommanderError, Option } from 'commander';
import { createLathe, LatheApiError, type Job, type JobEvent, type Lathe } from '@/packages/sdk/src/index';
import { configPath, DEFAULT_BASE_URL, readConfig, resolveCredentials, writeConfig } from '@/cli/client/config';
import { formatBytes, isTty, LiveBlock, progressBar, trainingPanel, validationReport, type TrainingView } from '@/cli/client/render';

export const EXIT = {
  ok: 0,
  error: 1,
  usage: 2,
  auth: 3,
  notFound: 4,
  /** The dataset is invalid, or the job failed or was cancelled. */
  failed: 5,
  interrupted: 130,
} as const;

class ExitError extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

type Global = { json?: boolean; profile?: string };

const out = (value: unknown): void => {
  process.stdout.write(`${JSON.stringify(value)}\n`);
};

async function client(globals: Global): Promise<Lathe> {
  const { apiKey, baseUrl } = await resolveCredentials(globals.profile);
  if (!apiKey) throw new ExitError('No API key: run `lathe login` or set LATHE_API_KEY.', EXIT.auth);
  return createLathe({ apiKey, baseUrl });
}

function exitCodeFor(error: unknown): number {
  if (error instanceof ExitError) return error.code;
  if (error instanceof LatheApiError) {
    if (error.status === 401 || error.status === 403) return EXIT.auth;
    if (error.status === 404) return EXIT.notFound;
  }
  return EXIT.error;
}

function describe(error: unknown): string {
  if (error instanceof LatheApiError) return `${error.message}${error.param ? ` (${error.param})` : ''}${error.action && !error.message.includes(error.action) ? ` ${error.action}` : ''}`;
  return error instanceof Error ? error.message : String(error);
}

function jobLine(job: Job): string {
  return `${job.id}  ${job.status.padEnd(16)} ${job.model}${job.fineTunedModel ? ` -> ${job.fineTunedModel}` : ''}`;
}

/** Follows a job: events as lines (or JSON lines), and with `chart` the live loss chart, ETA and cost. */
async function follow(lathe: Lathe, id: string, opts: { json: boolean; chart: boolean }): Promise<Job> {
  const job = await lathe.jobs.get(id);
  const estimated = job.estimatedCost ? Number(job.estimatedCost) : null;
  const view: TrainingView = { status: job.status, losses: [], step: null, totalSteps: null, etaSeconds: null, costSoFar: null, estimatedCost: estimated !== null ? estimated.toFixed(2) : null, lastMessage: null };
  const live = opts.chart && isTty() && !opts.json ? new LiveBlock() : null;
  for await (const event of lathe.jobs.watch(id)) {
    if (opts.json) out({ event: event.type, seq: event.seq, level: event.level, message: event.message, data: event.data, created_at: event.created_at });
    else if (!live) process.stdout.write(`${new Date(event.created_at * 1000).toISOString()}  ${event.level.padEnd(5)} ${event.message}\n`);
    absorb(view, event, estimated);
    live?.draw(trainingPanel(view));
  }
  const done = await lathe.jobs.get(id);
  view.status = done.status;
  live?.draw(trainingPanel(view));
  live?.done();
  return done;
}

function absorb(view: TrainingView, event: JobEvent, estimated: number | null): void {
  view.lastMessage = event.message;
  const data = event.data as { step?: number; total_steps?: number; train_loss?: number; eta_s?: number };
  if (event.type !== 'metrics') return;
  if (typeof data.train_loss === 'number') view.losses.push(data.train_loss);
  if (typeof data.step === 'number') view.step = data.step;
  if (typeof data.total_steps === 'number') view.totalSteps = data.total_steps;
  if (typeof data.eta_s === 'number') view.etaSeconds = data.eta_s;
  if (estimated !== null && view.step !== null && view.totalSteps) view.costSoFar = ((estimated * view.step) / view.totalSteps).toFixed(2);
  view.status = 'running';
}

export function buildClientProgram(program: Command): void {
  const globals = (command: Command): Global => command.optsWithGlobals<Global>();
  const withJson = (command: Command) => command.option('--json', 'print one JSON document (or JSON lines when following) for scripts').option('--profile <name>', 'the login profile to use');

  withJson(program.command('login').description('store an API key and base URL in a profile (~/.config/lathe/config.json, mode 0600)'))
    .option('--api-key <key>', 'the API key (default: LATHE_API_KEY, or asked for)')
    .option('--base-url <url>', `where Lathe answers (default: LATHE_BASE_URL or ${DEFAULT_BASE_URL})`)
    .action(async (opts: { apiKey?: string; baseUrl?: string }, command: Command) => {
      const g = globals(command);
      const profile = g.profile ?? 'default';
      let apiKey = opts.apiKey ?? process.env.LATHE_API_KEY;
      if (!apiKey && process.stdin.isTTY) {
        const rl = createInterface({ input: process.stdin, output: process.stderr });
        apiKey = (await rl.question('API key: ')).trim();
        rl.close();
      }
      if (!apiKey) throw new ExitError('Pass --api-key, set LATHE_API_KEY, or run `lathe login` in a terminal to be asked.', EXIT.usage);
      const baseUrl = (opts.baseUrl ?? process.env.LATHE_BASE_URL ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
      // The key is checked before it is stored.
      const balance = await createLathe({ apiKey, baseUrl }).credits.balance();
      const config = await readConfig();
      config.profiles[profile] = { apiKey, baseUrl };
      if (!config.profiles[config.defaultProfile]) config.defaultProfile = profile;
      await writeConfig(config);
      if (g.json) out({ profile, baseUrl, config: configPath(), balance });
      else process.stdout.write(`Logged in to ${baseUrl} as profile "${profile}" (${configPath()}). Balance: ${String(balance)} credits.\n`);
    });

  const datasets = program.command('datasets').description('upload datasets and read their validation reports');
  withJson(datasets.command('upload').argument('<file>', 'a JSONL file').description('upload (resumable) and wait for the validation report'))
    .option('--name <name>', 'display name')
    .option('--no-wait', 'return after the upload, before validation')
    .action(async (file: string, opts: { name?: string; wait: boolean }, command: Command) => {
      const g = globals(command);
      const lathe = await client(g);
      const live = !g.json && isTty() ? new LiveBlock() : null;
      const dataset = await lathe.datasets.upload(file, {
        name: opts.name,
        onProgress: (p) => live?.draw(`Uploading ${file}  ${progressBar(p.fraction)}  ${formatBytes(p.bytesSent)} / ${formatBytes(p.bytesTotal)}`),
      });
      live?.done();
      if (!opts.wait) {
        if (g.json) out({ dataset: { id: dataset.id, name: dataset.name, status: dataset.status.toLowerCase(), bytes: dataset.sizeBytes } });
        else process.stdout.write(`Uploaded ${dataset.id} (${formatBytes(dataset.sizeBytes)}).\n`);
        return;
      }
      if (!g.json) process.stderr.write(`Uploaded ${dataset.id}; validating…\n`);
      const report = await lathe.datasets.waitUntilValidated(dataset.id);
      if (g.json) out({ dataset: { id: dataset.id, name: dataset.name, bytes: dataset.sizeBytes }, report });
      else process.stdout.write(`${dataset.id}  ${validationReport(report)}\n`);
      if (report.status !== 'valid') process.exitCode = EXIT.failed;
    });
  withJson(datasets.command('list').description("the project's datasets")).action(async (_opts: unknown, command: Command) => {
    const g = globals(command);
    const rows = await (await client(g)).datasets.list();
    if (g.json) return out({ datasets: rows });
    if (rows.length === 0) return void process.stdout.write('No datasets yet. Upload one with: lathe datasets upload FILE\n');
    for (const d of rows) process.stdout.write(`${d.id}  ${d.status.padEnd(10)} ${String(d.examples ?? '-').padStart(7)} examples  ${d.name}\n`);
  });

  const jobs = program.command('jobs').description('fine-tuning jobs');
  withJson(jobs.command('create').description('create a fine-tuning job'))
    .requiredOption('--model <model>', 'the base model')
    .requiredOption('--file <dataset>', 'the training dataset id')
    .addOption(new Option('--preset <preset>', 'hyperparameter preset').choices(['quick', 'standard', 'thorough']))
    .option('--suffix <suffix>', 'suffix of the fine-tuned model name')
    .option('--epochs <n>', 'epochs', (v) => Number.parseInt(v, 10))
    .option('--watch', 'follow the job: live loss chart, ETA and cost so far, until it ends')
    .action(async (opts: { model: string; file: string; preset?: 'quick' | 'standard' | 'thorough'; suffix?: string; epochs?: number; watch?: boolean }, command: Command) => {
      const g = globals(command);
      const lathe = await client(g);
      const job = await lathe.jobs.create({ model: opts.model, trainingFile: opts.file, preset: opts.preset, suffix: opts.suffix, hyperparameters: opts.epochs ? { n_epochs: opts.epochs } : undefined });
      if (g.json) out({ job });
      else process.stdout.write(`Created ${job.id} (${job.status}).\n`);
      if (!opts.watch) return;
      const done = await follow(lathe, job.id, { json: Boolean(g.json), chart: true });
      if (g.json) out({ job: done });
      else process.stdout.write(`${jobLine(done)}${done.error ? `\n  ${done.error.message}` : ''}\n`);
      if (done.status !== 'succeeded') process.exitCode = EXIT.failed;
    });
  withJson(jobs.command('list').description("the project's jobs, newest first"))
    .option('--limit <n>', 'how many', (v) => Number.parseInt(v, 10), 20)
    .action(async (opts: { limit: number }, command: Command) => {
      const g = globals(command);
      const page = await (await client(g)).jobs.list({ limit: opts.limit });
      if (g.json) return out(page);
      if (page.jobs.length === 0) return void process.stdout.write('No jobs yet. Create one with: lathe jobs create --model M --file DATASET\n');
      for (const job of page.jobs) process.stdout.write(`${jobLine(job)}\n`);
    });
  withJson(jobs.command('show').argument('<id>').description('one job')).action(async (id: string, _opts: unknown, command: Command) => {
    const g = globals(command);
    const job = await (await client(g)).jobs.get(id);
    if (g.json) return out({ job });
    process.stdout.write(`${jobLine(job)}\n  training file ${job.trainingFile}\n  created ${new Date(job.createdAt * 1000).toISOString()}${job.finishedAt ? `, finished ${new Date(job.finishedAt * 1000).toISOString()}` : ''}\n${job.trainedTokens !== null ? `  trained tokens ${job.trainedTokens}\n` : ''}${job.error ? `  error ${job.error.code}: ${job.error.message}\n` : ''}`);
  });
  withJson(jobs.command('cancel').argument('<id>').description('cancel a job')).action(async (id: string, _opts: unknown, command: Command) => {
    const g = globals(command);
    const job = await (await client(g)).jobs.cancel(id);
    if (g.json) return out({ job });
    process.stdout.write(`${jobLine(job)}\n`);
  });
  withJson(jobs.command('events').argument('<id>').description("a job's events"))
    .option('--follow', 'keep following until the job ends')
    .action(async (id: string, opts: { follow?: boolean }, command: Command) => {
      const g = globals(command);
      const lathe = await client(g);
      if (opts.follow) {
        const done = await follow(lathe, id, { json: Boolean(g.json), chart: false });
        if (done.status !== 'succeeded') process.exitCode = EXIT.failed;
        return;
      }
      const events: JobEvent[] = [];
      for (let page = await lathe.jobs.events(id); ; page = await lathe.jobs.events(id, { afterSeq: events.at(-1)?.seq ?? 0 })) {
        events.push(...page.events);
        if (!page.hasMore) break;
      }
      if (g.json) return out({ events });
      for (const e of events) process.stdout.write(`${new Date(e.created_at * 1000).toISOString()}  ${e.level.padEnd(5)} ${e.message}\n`);
    });

  const models = program.command('models').description('models you can call, and deployments');
  withJson(models.command('list').description('base models, fine-tuned models and aliases the key can call')).action(async (_opts: unknown, command: Command) => {
    const g = globals(command);
    const rows = (await (await client(g)).models.list()) as Array<{ id: string; kind?: string; owned_by?: string }>;
    if (g.json) return out({ models: rows });
    for (const m of rows) process.stdout.write(`${m.id}${m.kind ? `  (${m.kind})` : ''}\n`);
  });
  withJson(models.command('deploy').argument('<model>', 'base model name or id').description('load a base model on a runner')).action(async (model: string, _opts: unknown, command: Command) => {
    const g = globals(command);
    const deployment = await (await client(g)).models.deploy(model);
    if (g.json) return out({ deployment });
    process.stdout.write(`Deploying ${model}.\n`);
  });
  withJson(models.command('undeploy').argument('<model>', 'base model name or id').description('stop serving a base model')).action(async (model: string, _opts: unknown, command: Command) => {
    const g = globals(command);
    const result = await (await client(g)).models.undeploy(model);
    if (g.json) return out({ result });
    process.stdout.write(`Stopped ${model}.\n`);
  });

  withJson(program.command('chat').argument('<model>').description('chat with a model; replies stream as they are generated'))
    .option('--system <text>', 'a system message')
    .option('--max-tokens <n>', 'at most this many tokens per reply', (v) => Number.parseInt(v, 10))
    .option('--message <text>', 'send one message, print the reply and exit')
    .action(async (model: string, opts: { system?: string; maxTokens?: number; message?: string }, command: Command) => {
      const g = globals(command);
      const lathe = await client(g);
      const messages: { role: 'system' | 'user' | 'assistant'; content: string }[] = opts.system ? [{ role: 'system', content: opts.system }] : [];
      const turn = async (text: string) => {
        messages.push({ role: 'user', content: text });
        const stream = await lathe.chat.completions.create({ model, messages, max_tokens: opts.maxTokens, stream: true, stream_options: { include_usage: true } });
        let reply = '';
        let usage: unknown = null;
        for await (const chunk of stream) {
          const delta = chunk.choices[0]?.delta.content ?? '';
          reply += delta;
          if (chunk.usage) usage = chunk.usage;
          if (!g.json && delta) process.stdout.write(delta);
        }
        messages.push({ role: 'assistant', content: reply });
        if (g.json) out({ model, reply, usage });
        else process.stdout.write('\n');
      };
      if (opts.message !== undefined) return turn(opts.message);
      const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: Boolean(process.stdin.isTTY) });
      if (!g.json && process.stdin.isTTY) process.stdout.write(`Chatting with ${model}. An empty line or Ctrl-D ends.\n`);
      try {
        for (;;) {
          const line = await rl.question(g.json ? '' : '> ').catch(() => null);
          if (line === null || line.trim() === '') break;
          await turn(line);
        }
      } finally {
        rl.close();
      }
    });
}

/** The end-user command groups; the operator groups live in cli/commands. */
export const CLIENT_COMMANDS = new Set(['login', 'datasets', 'jobs', 'chat']);

export async function runClient(argv: string[]): Promise<never> {
  const program = new Command('lathe').description('Lathe for end users: datasets, fine-tuning jobs, models and chat over the API').showHelpAfterError('(run with --help for usage)').exitOverride();
  buildClientProgram(program);
  process.once('SIGINT', () => process.exit(EXIT.interrupted));
  try {
    await program.parseAsync(argv);
    process.exit();
  } catch (error) {
    if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? EXIT.ok : EXIT.usage);
    const wantsJson = argv.includes('--json');
    const code = exitCodeFor(error);
    if (wantsJson) out({ error: { message: describe(error), code: error instanceof LatheApiError ? error.code : null, status: error instanceof LatheApiError ? error.status : null, param: error instanceof LatheApiError ? error.param : null }, exitCode: code });
    process.stderr.write(`lathe: ${describe(error)}\n`);
    process.exit(code);
  }
}
