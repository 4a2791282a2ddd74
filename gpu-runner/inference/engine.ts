// The model side of the inference server: one base GGUF loaded once, the adapters registered on
// it, the context pool, the request queue, and turning OpenAI requests into generations.
import { randomInt } from 'node:crypto';
import path from 'node:path';
import { getLlama, LlamaLogLevel, type Llama, type LlamaModel, type Token } from 'node-llama-cpp';
import { ChatPromptRenderer } from './chat-prompt';
import { ContextPool } from './context-pool';
import { badRequest, InferenceError, modelNotFound } from '../../lib/universal/openai/errors';
import { generate, type GenerateResult, type SamplingOptions } from './generate';
import { checkAdapterGguf, checkBaseGguf, GgufCheckError, type BaseGgufSummary } from './gguf-preflight';
import { RequestQueue } from './request-queue';
import { MODEL_NAME_PATTERN, type InferenceHealth, type TChatCompletionRequest, type TCompletionRequest } from '../../lib/universal/openai/schema';

export type GpuChoice = false | 'auto' | 'cuda' | 'vulkan' | 'metal';

export interface AdapterSpec {
  name: string;
  path: string;
}

export interface EngineOptions {
  modelPath: string;
  /** The name clients use for the base model; defaults to the file name without .gguf. */
  modelName?: string;
  adapters?: AdapterSpec[];
  maxContexts?: number;
  concurrency?: number;
  /** Sequences per context, i.e. parallel requests per model name; defaults to `concurrency`. */
  sequencesPerContext?: number;
  /** Tokens per sequence; defaults to the model's training context, at most 2048. */
  contextSize?: number;
  threads?: number;
  maxQueue?: number;
  gpu?: GpuChoice;
  onLlamaLog?: (level: string, message: string) => void;
}

export interface PreparedGeneration {
  model: string;
  tokens: Token[];
  maxTokens: number;
  sampling: SamplingOptions;
  stop: string[];
}

export interface RunCallbacks {
  signal?: AbortSignal;
  /** Called once the request holds a slot and its context, just before the first token. */
  onStart?: () => void;
  onText?: (delta: string) => void;
}

export interface RunResult extends GenerateResult {
  promptTokens: number;
}

const DEFAULT_CONTEXT_SIZE = 2048;

function requestedMaxTokens(body: TChatCompletionRequest | TCompletionRequest): number | undefined {
  return body.max_completion_tokens ?? body.max_tokens ?? undefined;
}

/** OpenAI accepts any integer seed; llama.cpp's sampler takes an unsigned 32-bit one. */
function samplerSeed(seed: number | null | undefined): number {
  if (seed == null) return randomInt(0, 2 ** 31);
  return ((seed % 2 ** 32) + 2 ** 32) % 2 ** 32;
}

export class InferenceEngine {
  readonly adapters = new Map<string, string>();
  private readonly startedAt = Date.now();
  private readonly renderer: ChatPromptRenderer | null;
  private closing = false;
  private readonly counts = { completed: 0, aborted: 0, failed: 0 };

  private constructor(
    private readonly llama: Llama,
    readonly model: LlamaModel,
    readonly modelName: string,
    readonly modelPath: string,
    private readonly base: BaseGgufSummary,
    readonly pool: ContextPool,
    readonly queue: RequestQueue,
  ) {
    this.renderer = base.chatTemplate ? new ChatPromptRenderer(base.chatTemplate, model.tokens.bosString ?? '', model.tokens.eosString ?? '') : null;
  }

  /** Checks and loads the model and the adapters; rejects with a GgufCheckError for a bad file. */
  static async create(options: EngineOptions): Promise<InferenceEngine> {
    const modelPath = path.resolve(options.modelPath);
    const modelName = options.modelName ?? path.basename(modelPath).replace(/\.gguf$/i, '');
    if (!MODEL_NAME_PATTERN.test(modelName)) throw new RangeError(`invalid model name "${modelName}"`);
    const concurrency = options.concurrency ?? 2;
    const maxContexts = options.maxContexts ?? 4;
    if (!Number.isInteger(maxContexts) || maxContexts < 1) throw new RangeError('maxContexts must be a positive integer');

    const base = await checkBaseGguf(modelPath);
    const adapters = options.adapters ?? [];
    for (const adapter of adapters) {
      if (adapter.name === modelName) throw new GgufCheckError('adapter_mismatch', `Adapter name "${adapter.name}" is the base model's name.`);
      await checkAdapterGguf(path.resolve(adapter.path), base);
    }

    const onLog = options.onLlamaLog;
    const llama = await getLlama({
      gpu: options.gpu ?? false,
      build: 'never',
      logLevel: LlamaLogLevel.warn,
      ...(onLog ? { logger: (level: LlamaLogLevel, message: string) => onLog(level, message) } : {}),
    });
    const model = await llama.loadModel({ modelPath });
    const contextSize = options.contextSize ?? Math.min(DEFAULT_CONTEXT_SIZE, model.trainContextSize);
    const pool = new ContextPool(model, {
      maxContexts,
      sequencesPerContext: options.sequencesPerContext ?? concurrency,
      contextSize,
      threads: options.threads,
    });
    const engine = new InferenceEngine(llama, model, modelName, modelPath, base, pool, new RequestQueue(concurrency, options.maxQueue ?? 64));
    for (const adapter of adapters) engine.adapters.set(adapter.name, path.resolve(adapter.path));
    // The base is the likeliest first request: have its context ready.
    await pool.wake(modelName, null);
    return engine;
  }

  hasModel(name: string): boolean {
    return name === this.modelName || this.adapters.has(name);
  }

  /** Adds (or repoints) an adapter; a repointed adapter's old context goes once it is idle. */
  async registerAdapter(name: string, adapterPath: string, options: { wake?: boolean } = {}): Promise<{ replaced: boolean }> {
    if (name === this.modelName) throw badRequest(`"${name}" is the base model's name.`, 'invalid_adapter_name', 'name');
    const resolved = path.resolve(adapterPath);
    const previous = this.adapters.get(name);
    if (previous !== resolved) {
      try {
        await checkAdapterGguf(resolved, this.base);
      } catch (error) {
        if (error instanceof GgufCheckError) throw badRequest(error.message, error.code, 'path');
        throw error;
      }
      this.adapters.set(name, resolved);
      if (previous !== undefined) this.pool.retire(name);
    }
    if (options.wake) await this.pool.wake(name, resolved);
    return { replaced: previous !== undefined && previous !== resolved };
  }

  removeAdapter(name: string): boolean {
    if (!this.adapters.delete(name)) return false;
    this.pool.retire(name);
    return true;
  }

  prepareChat(body: TChatCompletionRequest): PreparedGeneration {
    this.assertModel(body.model);
    if (!this.renderer) {
      throw badRequest(`The model \`${this.modelName}\` has no chat template; use /v1/completions.`, 'chat_template_missing', 'model');
    }
    const text = this.renderer.render(body.messages);
    // Special tokens in the rendered text are parsed and no BOS is added: the dataset service
    // tokenizes training data the same way.
    return this.prepare(body, this.model.tokenize(text, true), 'messages');
  }

  prepareCompletion(body: TCompletionRequest): PreparedGeneration {
    this.assertModel(body.model);
    const prompt = Array.isArray(body.prompt) && typeof body.prompt[0] === 'string' ? (body.prompt[0] as string) : body.prompt;
    let tokens: Token[];
    if (typeof prompt === 'string') {
      const bos = this.model.tokens.shouldPrependBosToken ? this.model.tokens.bos : null;
      tokens = [...(bos != null ? [bos] : []), ...this.model.tokenize(prompt, true)];
    } else {
      const vocabularySize = this.base.vocabularySize;
      const bad = (prompt as number[]).find((t) => t >= vocabularySize);
      if (bad !== undefined) throw badRequest(`Token ${bad} is outside the model's vocabulary of ${vocabularySize}.`, 'invalid_prompt', 'prompt');
      tokens = prompt as Token[];
    }
    return this.prepare(body, tokens, 'prompt');
  }

  /** Queues, takes a context sequence, and generates. Rejects with a 429 when the queue is full. */
  async run(prepared: PreparedGeneration, callbacks: RunCallbacks = {}): Promise<RunResult> {
    if (this.closing) throw new InferenceError('shutting_down', 'The inference server is shutting down.', { retryAfter: 1 });
    const release = await this.queue.acquire(callbacks.signal);
    try {
      this.assertModel(prepared.model);
      const adapterPath = prepared.model === this.modelName ? null : this.adapters.get(prepared.model)!;
      const lease = await this.pool.acquire(prepared.model, adapterPath, prepared.tokens, callbacks.signal);
      try {
        callbacks.onStart?.();
        const result = await generate({
          sequence: lease.sequence,
          tokens: prepared.tokens,
          maxTokens: prepared.maxTokens,
          stop: prepared.stop,
          signal: callbacks.signal,
          onText: callbacks.onText,
          ...prepared.sampling,
        });
        this.counts[result.aborted ? 'aborted' : 'completed']++;
        return { ...result, promptTokens: prepared.tokens.length };
      } catch (error) {
        this.counts.failed++;
        throw error;
      } finally {
        lease.release();
      }
    } finally {
      release();
    }
  }

  health(): InferenceHealth {
    const contexts = this.pool.info();
    return {
      status: 'ok',
      pid: process.pid,
      uptimeMs: Date.now() - this.startedAt,
      model: {
        name: this.modelName,
        path: this.modelPath,
        architecture: this.base.architecture,
        loaded: true,
        contextSize: this.pool.options.contextSize,
        trainContextSize: this.model.trainContextSize,
        hasChatTemplate: this.renderer !== null,
      },
      adapters: [...this.adapters].map(([name, adapterPath]) => ({ name, path: adapterPath, awake: this.pool.isAwake(name) })),
      contexts: { active: contexts.length, max: this.pool.options.maxContexts, list: contexts },
      queue: { ...this.queue.stats, concurrency: this.queue.concurrency, maxQueue: this.queue.maxQueue },
      requests: { ...this.counts },
    };
  }

  /** Refuses new work and fails waiting requests; running generations finish. */
  beginShutdown(): void {
    this.closing = true;
    this.queue.rejectWaiting(new InferenceError('shutting_down', 'The inference server is shutting down.', { retryAfter: 1 }));
  }

  async dispose(): Promise<void> {
    this.beginShutdown();
    await this.pool.dispose();
    await this.model.dispose();
    await this.llama.dispose();
  }

  private assertModel(name: string): void {
    if (!this.hasModel(name)) throw modelNotFound(name);
  }

  private prepare(body: TChatCompletionRequest | TCompletionRequest, tokens: Token[], promptParam: string): PreparedGeneration {
    const contextSize = this.pool.options.contextSize;
    if (tokens.length === 0) throw badRequest('The prompt is empty.', 'invalid_prompt', promptParam);
    const room = contextSize - tokens.length;
    const requested = requestedMaxTokens(body);
    if (room < 1 || (requested !== undefined && requested > room)) {
      throw badRequest(
        `This model's maximum context length is ${contextSize} tokens. However, you requested ${tokens.length + (requested ?? 1)} tokens (${tokens.length} in the ${promptParam}, ${requested ?? 1} in the completion). Please reduce the length of the ${promptParam} or the completion.`,
        'context_length_exceeded',
        promptParam,
      );
    }
    const stop = body.stop == null ? [] : typeof body.stop === 'string' ? [body.stop] : body.stop;
    return {
      model: body.model,
      tokens,
      maxTokens: requested ?? room,
      stop,
      sampling: {
        temperature: body.temperature ?? 1,
        topP: body.top_p ?? 1,
        seed: samplerSeed(body.seed),
        presencePenalty: body.presence_penalty ?? 0,
        frequencyPenalty: body.frequency_penalty ?? 0,
        ignoreEos: body.ignore_eos ?? false,
      },
    };
  }
}
