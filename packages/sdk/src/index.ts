// @lathe/sdk: the typed client for Lathe. `createLathe({ apiKey, baseUrl })` gives the tRPC client
// typed by the server's AppRouter and helpers for
// the whole loop: resumable dataset uploads, validation reports, jobs with live events over
// socket.io (caught up by sequence number after a reconnect), models, aliases and OpenAI-compatible
// chat. API keys only: no cookies are sent.
import { createTRPCClient, httpLink } from '@trpc/client';
import superjson from 'superjson';
import type { AppRouter } from '../../../server/api/root';
// The AppRouter's client with every input and output spelled out (scripts/router-types.ts), so the
// published declarations import nothing from the server, Prisma, zod or tRPC.
import type { LatheTrpcClient } from './generated/router-types';
import { fromResponse, LatheApiError, trpcCall } from './errors';
import { uploadDataset, type UploadOptions, type UploadSource } from './upload';
import { watchJob, type JobEvent, type WatchOptions } from './watch';
import { createChatCompletion, type ChatCompletion, type ChatCompletionChunk, type ChatCompletionRequest } from './chat';

export { LatheApiError };
export type { UploadOptions, UploadSource, UploadProgress } from './upload';
export type { JobEvent, WatchOptions } from './watch';
export type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest, ChatMessage } from './chat';
export type { LatheTrpcClient, LatheTrpcRequestOptions } from './generated/router-types';

export const SDK_VERSION = '0.1.0';

export interface LatheOptions {
  /** A project API key (`lk_…`), from the API keys page or `lathe login`. */
  apiKey: string | undefined;
  /** Where Lathe answers, e.g. `http://localhost:3000`. */
  baseUrl: string;
  /** A fetch to use instead of the global one. */
  fetch?: typeof fetch;
}

/** What `evals.create` takes: the eval set, the models (baseline first), the grader. */
export type EvalCreateInput = Parameters<LatheTrpcClient['evals']['create']['mutate']>[0];

export type JobStatus = 'validating_files' | 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
export const FINAL_JOB_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'cancelled'];

export interface Finding {
  line: number | null;
  code: string;
  severity: 'error' | 'warning';
  message: string;
  field: string | null;
}

export interface ValidationResult {
  datasetId: string;
  status: 'valid' | 'invalid';
  /** Every finding the report lists (the first ones of each code), in line order. */
  findings: Finding[];
  examples: number | null;
  errors: number;
  warnings: number;
  /** Set when validation itself could not run (an unreadable file), not when lines are wrong. */
  error: string | null;
}

export interface Job {
  /** `ftjob-…`, as the OpenAI API names it. */
  id: string;
  status: JobStatus;
  model: string;
  fineTunedModel: string | null;
  trainingFile: string;
  validationFile: string | null;
  createdAt: number;
  finishedAt: number | null;
  trainedTokens: number | null;
  estimatedFinish: number | null;
  error: { code: string; message: string; param: string | null } | null;
  /** Steps done and total, loss, ETA: what the runner last reported. */
  progress: Record<string, unknown> | null;
  estimatedCost: string | null;
}

export interface CreateJobOptions {
  model: string;
  /** A dataset id (or `file-…` id) from `datasets.upload`. */
  trainingFile: string;
  validationFile?: string | null;
  preset?: 'quick' | 'standard' | 'thorough';
  /** OpenAI's three, and Lathe's own LoRA shape, sequence length and schedule; the server checks each with the schema /v1 uses. */
  hyperparameters?: {
    n_epochs?: number | 'auto';
    batch_size?: number | 'auto';
    learning_rate_multiplier?: number | 'auto';
    lora_rank?: number | 'auto';
    lora_alpha?: number | 'auto';
    lora_dropout?: number | 'auto';
    lora_target_modules?: Array<'q_proj' | 'k_proj' | 'v_proj' | 'o_proj' | 'gate_proj' | 'up_proj' | 'down_proj'> | 'auto';
    max_sequence_length?: number | 'auto';
    lr_scheduler?: 'cosine' | 'linear' | 'constant' | 'auto';
    warmup_ratio?: number | 'auto';
  };
  suffix?: string | null;
  seed?: number | null;
  metadata?: Record<string, string> | null;
  /** When the job succeeds, evaluate the fine-tune against its base: on this eval set, or on the validation file. */
  evaluation?: Parameters<LatheTrpcClient['job']['create']['mutate']>[0]['evaluation'];
}

type RawJob = {
  id: string;
  status: string;
  model: string;
  fine_tuned_model: string | null;
  training_file: string;
  validation_file: string | null;
  created_at: number;
  finished_at: number | null;
  trained_tokens: number | null;
  estimated_finish: number | null;
  error: { code: string; message: string; param: string | null } | null;
  progress?: unknown;
  estimatedCost?: string | null;
};

function toJob(raw: RawJob): Job {
  return {
    id: raw.id,
    status: raw.status as JobStatus,
    model: raw.model,
    fineTunedModel: raw.fine_tuned_model,
    trainingFile: raw.training_file,
    validationFile: raw.validation_file,
    createdAt: raw.created_at,
    finishedAt: raw.finished_at,
    trainedTokens: raw.trained_tokens,
    estimatedFinish: raw.estimated_finish,
    error: raw.error,
    progress: (raw.progress as Record<string, unknown> | null | undefined) ?? null,
    estimatedCost: raw.estimatedCost ?? null,
  };
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)), { once: true });
  });

type ReportLike = { byCode?: Record<string, { samples?: Finding[] } | undefined>; errors?: number; warnings?: number } | null;

function findingsOf(report: ReportLike): Finding[] {
  const all = Object.values(report?.byCode ?? {}).flatMap((summary) => summary?.samples ?? []);
  return all.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}

export function createLathe(options: LatheOptions) {
  if (!options.apiKey) throw new LatheApiError('No API key: pass createLathe({ apiKey }) or set LATHE_API_KEY. Create a key on the API keys page.', { code: 'missing_api_key', status: 0 });
  if (!options.baseUrl) throw new LatheApiError('No baseUrl: pass the address Lathe answers at, such as http://localhost:3000.', { code: 'missing_base_url', status: 0 });
  const apiKey = options.apiKey;
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  const authorization = `Bearer ${apiKey}`;

  const client = createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${baseUrl}/api/trpc`,
        transformer: superjson,
        headers: { authorization },
        // No cookies: the key alone says who calls.
        fetch: (url, init) => fetchImpl(url, { ...(init as RequestInit), credentials: 'omit' }),
      }),
    ],
  });
  // Assigned, not cast: the spelled-out types must accept what the AppRouter's client is.
  const trpc: LatheTrpcClient = client;

  const v1 = async (path: string, init: RequestInit = {}) => {
    const response = await fetchImpl(`${baseUrl}/v1${path}`, {
      ...init,
      credentials: 'omit',
      headers: { authorization, ...(init.body ? { 'content-type': 'application/json' } : {}), ...(init.headers as Record<string, string> | undefined) },
    }).catch((error: unknown) => {
      throw new LatheApiError(`Could not reach Lathe at ${baseUrl}: ${(error as Error).message}`, { code: 'connection_error', status: 0, cause: error });
    });
    if (!response.ok) throw await fromResponse(response);
    return response;
  };

  const datasets = {
    /** Uploads through the resumable (tus) endpoint; resumes after a dropped connection. Resolves with the dataset. */
    async upload(source: UploadSource, uploadOptions: UploadOptions = {}) {
      const datasetId = await uploadDataset({ baseUrl, apiKey, source, options: uploadOptions });
      return trpcCall(() => trpc.dataset.get.query({ id: datasetId }));
    },
    get: (id: string) => trpcCall(() => trpc.dataset.get.query({ id })),
    list: (opts: { purpose?: string } = {}) => trpcCall(() => trpc.dataset.list.query(opts)),
    delete: (id: string) => trpcCall(() => trpc.dataset.delete.mutate({ id })),
    /** Waits until the worker has validated the dataset; failures carry line, code and field. */
    async waitUntilValidated(id: string, opts: { pollMs?: number; timeoutMs?: number; signal?: AbortSignal } = {}): Promise<ValidationResult> {
      const deadline = Date.now() + (opts.timeoutMs ?? 30 * 60_000);
      for (;;) {
        const dataset = await trpcCall(() => trpc.dataset.get.query({ id }));
        if (dataset.status === 'VALID' || dataset.status === 'INVALID' || dataset.status === 'FAILED') {
          const report = dataset.validation as ReportLike;
          return {
            datasetId: dataset.id,
            status: dataset.status === 'VALID' ? 'valid' : 'invalid',
            findings: findingsOf(report),
            examples: dataset.examples,
            errors: report?.errors ?? (dataset.status === 'VALID' ? 0 : 1),
            warnings: report?.warnings ?? 0,
            error: dataset.error,
          };
        }
        if (Date.now() > deadline) throw new LatheApiError(`Dataset ${id} is still ${dataset.status.toLowerCase()}; try again later.`, { code: 'timeout', status: 0 });
        await sleep(opts.pollMs ?? 500, opts.signal);
      }
    },
  };

  const jobs = {
    estimate: (opts: Pick<CreateJobOptions, 'model' | 'trainingFile' | 'preset' | 'hyperparameters'>) =>
      trpcCall(() => trpc.job.estimate.query({ model: opts.model, training_file: opts.trainingFile, preset: opts.preset, hyperparameters: opts.hyperparameters })),
    async create(opts: CreateJobOptions): Promise<Job> {
      const raw = await trpcCall(() =>
        trpc.job.create.mutate({
          model: opts.model,
          training_file: opts.trainingFile,
          validation_file: opts.validationFile,
          preset: opts.preset,
          hyperparameters: opts.hyperparameters,
          suffix: opts.suffix,
          seed: opts.seed,
          metadata: opts.metadata,
          evaluation: opts.evaluation,
        }),
      );
      return toJob(raw as RawJob);
    },
    get: async (id: string): Promise<Job> => toJob((await trpcCall(() => trpc.job.get.query({ id }))) as RawJob),
    async list(opts: { after?: string; limit?: number } = {}): Promise<{ jobs: Job[]; hasMore: boolean }> {
      const page = await trpcCall(() => trpc.job.list.query({ after: opts.after, limit: opts.limit ?? 20 }));
      return { jobs: page.jobs.map((j) => toJob(j as RawJob)), hasMore: page.hasMore };
    },
    cancel: async (id: string): Promise<Job> => toJob((await trpcCall(() => trpc.job.cancel.mutate({ id }))) as RawJob),
    /** Events after `afterSeq`, oldest first. */
    events: async (id: string, opts: { afterSeq?: number; limit?: number } = {}): Promise<{ events: JobEvent[]; hasMore: boolean }> => {
      const page = await trpcCall(() => trpc.job.events.query({ id, afterSeq: opts.afterSeq ?? null, limit: opts.limit ?? 500 }));
      return { events: page.events.map((e) => ({ ...e, type: e.type, seq: e.seq })) as JobEvent[], hasMore: page.hasMore };
    },
    /**
     * Events and metrics of a job as they happen, ending when the job ends. Over socket.io; after a
     * reconnect (or a web process restart) it reads on from the last sequence number it yielded, so
     * no event is missed or repeated.
     */
    watch: (id: string, opts: WatchOptions = {}) =>
      watchJob({
        baseUrl,
        apiKey,
        jobId: id,
        options: opts,
        events: (afterSeq) => jobs.events(id, { afterSeq, limit: 500 }),
        status: async () => (await jobs.get(id)).status,
      }),
    /** Resolves when the job has ended, with the job. */
    async wait(id: string, opts: { pollMs?: number; timeoutMs?: number; signal?: AbortSignal } = {}): Promise<Job> {
      const deadline = Date.now() + (opts.timeoutMs ?? 24 * 3600_000);
      for (;;) {
        const job = await jobs.get(id);
        if (FINAL_JOB_STATUSES.includes(job.status)) return job;
        if (Date.now() > deadline) throw new LatheApiError(`Job ${id} is still ${job.status}.`, { code: 'timeout', status: 0 });
        await sleep(opts.pollMs ?? 1000, opts.signal);
      }
    },
  };

  /** A base model by id or name, for deploy and undeploy. */
  const baseModelId = async (idOrName: string) => {
    const models = await trpcCall(() => trpc.model.list.query());
    const found = (models as Array<{ id: string; name: string }>).find((m) => m.id === idOrName || m.name === idOrName);
    if (!found) throw new LatheApiError(`No base model '${idOrName}' in this project; models.list() shows the ones you can use.`, { code: 'model_not_found', status: 404, param: 'model' });
    return found.id;
  };

  const models = {
    /** Every model the key can call: base models, fine-tuned models, aliases. */
    list: () => trpcCall(() => trpc.model.usable.query()),
    /** Base models with their state and deployments. */
    listBase: () => trpcCall(() => trpc.model.list.query()),
    deploy: async (model: string) => trpcCall(async () => trpc.serving.deploy.mutate({ baseModelId: await baseModelId(model) })),
    undeploy: async (model: string) => trpcCall(async () => trpc.serving.undeploy.mutate({ baseModelId: await baseModelId(model) })),
    deployments: () => trpcCall(() => trpc.serving.deployments.query()),
  };

  const aliases = {
    list: () => trpcCall(() => trpc.serving.alias.list.query()),
    /** Points `name` at `target`, creating the alias if it does not exist. */
    async set(name: string, target: string) {
      const existing = (await trpcCall(() => trpc.serving.alias.list.query())) as Array<{ id: string; name: string }>;
      const alias = existing.find((a) => a.name === name);
      return alias ? trpcCall(() => trpc.serving.alias.update.mutate({ id: alias.id, target })) : trpcCall(() => trpc.serving.alias.create.mutate({ name, target }));
    },
    async delete(name: string) {
      const existing = (await trpcCall(() => trpc.serving.alias.list.query())) as Array<{ id: string; name: string }>;
      const alias = existing.find((a) => a.name === name);
      if (!alias) throw new LatheApiError(`No alias '${name}' in this project.`, { code: 'not_found', status: 404, param: 'name' });
      return trpcCall(() => trpc.serving.alias.delete.mutate({ id: alias.id }));
    },
  };

  const chat = {
    completions: {
      create: ((request: ChatCompletionRequest, opts?: { signal?: AbortSignal }) => createChatCompletion(v1, request, opts)) as {
        (request: ChatCompletionRequest & { stream: true }, opts?: { signal?: AbortSignal }): Promise<AsyncIterable<ChatCompletionChunk>>;
        (request: ChatCompletionRequest & { stream?: false | null }, opts?: { signal?: AbortSignal }): Promise<ChatCompletion>;
        (request: ChatCompletionRequest, opts?: { signal?: AbortSignal }): Promise<ChatCompletion | AsyncIterable<ChatCompletionChunk>>;
      },
    },
  };

  const evals = {
    /**
     * Scores models on an eval set (a dataset uploaded with purpose "evals") through the serving
     * path, charged as inference. The first model is the baseline of the others' win rates.
     */
    create: (input: EvalCreateInput) => trpcCall(() => trpc.evals.create.mutate(input)),
    /** The run with its per-model summary and each example's answers side by side. */
    get: (id: string) => trpcCall(() => trpc.evals.get.query({ id })),
    list: (opts: { jobId?: string } = {}) => trpcCall(() => trpc.evals.list.query(opts)),
    /** Resolves when the run has ended (succeeded or failed), with the run. */
    async wait(id: string, opts: { pollMs?: number; timeoutMs?: number; signal?: AbortSignal } = {}) {
      const deadline = Date.now() + (opts.timeoutMs ?? 6 * 3600_000);
      for (;;) {
        const run = await evals.get(id);
        if (run.status === 'succeeded' || run.status === 'failed') return run;
        if (Date.now() > deadline) throw new LatheApiError(`Evaluation ${id} is still ${run.status}.`, { code: 'timeout', status: 0 });
        await sleep(opts.pollMs ?? 1000, opts.signal);
      }
    },
  };

  const usage = { get: () => trpcCall(() => trpc.billing.usage.query()) };
  const credits = { balance: async () => (await trpcCall(() => trpc.billing.balance.query())).balance };

  return { trpc, baseUrl, datasets, jobs, models, aliases, chat, evals, usage, credits };
}

export type Lathe = ReturnType<typeof createLathe>;
