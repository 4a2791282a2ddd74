// Contexts on the one loaded model: llama.cpp fixes a LoRA adapter when a context is created, so
// each model name served (the base, or an adapter) gets its own context with a few sequences, made
// on its first request ("wake") and evicted least-recently-used once more than `maxContexts` exist.
// Sequences keep their KV cache between requests, and a request takes the free sequence that
// already holds the longest prefix of its prompt.
import type { LlamaContext, LlamaContextSequence, LlamaModel, Token } from 'node-llama-cpp';
import { InferenceError } from '../../lib/universal/openai/errors';
import type { ContextInfo } from '../../lib/universal/openai/schema';

export interface ContextPoolOptions {
  maxContexts: number;
  sequencesPerContext: number;
  contextSize: number;
  threads?: number;
  batchSize?: number;
}

export interface SequenceLease {
  sequence: LlamaContextSequence;
  release: () => void;
}

interface Entry {
  model: string;
  adapterPath: string | null;
  context: Promise<LlamaContext>;
  free: LlamaContextSequence[];
  busy: number;
  lastUsed: number;
  retired: boolean;
}

export class ContextPool {
  private readonly entries = new Map<string, Entry>();
  private readonly retiring = new Set<Entry>();
  private changeWaiters: Array<() => void> = [];

  constructor(
    private readonly model: LlamaModel,
    readonly options: ContextPoolOptions,
  ) {}

  /** A sequence of `model`'s context (created with `adapterPath` when it does not exist yet). */
  async acquire(model: string, adapterPath: string | null, tokens: readonly Token[], signal?: AbortSignal): Promise<SequenceLease> {
    for (;;) {
      if (signal?.aborted) throw signal.reason;
      let entry = this.entries.get(model);
      if (!entry) {
        if (this.entries.size >= this.options.maxContexts && !this.evictOne()) {
          await this.waitForChange(signal);
          continue;
        }
        entry = this.create(model, adapterPath);
      }
      entry.busy++;
      let context: LlamaContext;
      try {
        context = await entry.context;
      } catch (error) {
        entry.busy--;
        throw error;
      }
      const sequence = this.pickSequence(entry, context, tokens);
      if (!sequence) {
        entry.busy--;
        await this.waitForChange(signal);
        continue;
      }
      entry.lastUsed = Date.now();
      return { sequence, release: this.releaser(entry, sequence) };
    }
  }

  /** Creates `model`'s context now if it has none (an adapter's wake without a request). */
  async wake(model: string, adapterPath: string | null): Promise<void> {
    const lease = await this.acquire(model, adapterPath, []);
    lease.release();
  }

  /** Drops `model`'s context: at once when idle, else when its last request ends. */
  retire(model: string): void {
    const entry = this.entries.get(model);
    if (!entry) return;
    this.entries.delete(model);
    entry.retired = true;
    if (entry.busy === 0) this.disposeEntry(entry);
    else this.retiring.add(entry);
    this.notify();
  }

  isAwake(model: string): boolean {
    return this.entries.has(model);
  }

  info(): ContextInfo[] {
    return [...this.entries.values()].map((entry) => ({
      model: entry.model,
      adapter: entry.adapterPath,
      sequences: this.options.sequencesPerContext,
      activeRequests: entry.busy,
      lastUsedAt: new Date(entry.lastUsed).toISOString(),
    }));
  }

  get size(): number {
    return this.entries.size;
  }

  async dispose(): Promise<void> {
    const all = [...this.entries.values(), ...this.retiring];
    this.entries.clear();
    this.retiring.clear();
    await Promise.all(all.map((entry) => entry.context.then((c) => c.dispose()).catch(() => undefined)));
  }

  private create(model: string, adapterPath: string | null): Entry {
    const context = this.model
      .createContext({
        contextSize: this.options.contextSize,
        sequences: this.options.sequencesPerContext,
        threads: this.options.threads,
        batchSize: this.options.batchSize,
        ...(adapterPath ? { lora: { adapters: [{ filePath: adapterPath, scale: 1 }] } } : {}),
      })
      .catch((error: unknown) => {
        if (this.entries.get(model) === entry) this.entries.delete(model);
        this.notify();
        throw new InferenceError(adapterPath ? 'adapter_load_failed' : 'context_failed', `Could not create a context for \`${model}\`: ${error instanceof Error ? error.message : String(error)}`);
      });
    const entry: Entry = { model, adapterPath, context, free: [], busy: 0, lastUsed: Date.now(), retired: false };
    // Handled by whoever awaits it; this keeps a failure nobody awaited from being "unhandled".
    context.catch(() => undefined);
    this.entries.set(model, entry);
    return entry;
  }

  private pickSequence(entry: Entry, context: LlamaContext, tokens: readonly Token[]): LlamaContextSequence | null {
    if (entry.free.length > 0) {
      let best = 0;
      let bestShared = -1;
      entry.free.forEach((sequence, i) => {
        const shared = tokens.length > 0 ? sequence.compareContextTokens(tokens as Token[]).firstDifferentIndex : 0;
        if (shared > bestShared) {
          best = i;
          bestShared = shared;
        }
      });
      return entry.free.splice(best, 1)[0]!;
    }
    if (context.sequencesLeft > 0) return context.getSequence();
    return null;
  }

  /** Evicts the least recently used idle context; false when every context is busy. */
  private evictOne(): boolean {
    let victim: Entry | undefined;
    for (const entry of this.entries.values()) {
      if (entry.busy === 0 && (!victim || entry.lastUsed < victim.lastUsed)) victim = entry;
    }
    if (!victim) return false;
    this.entries.delete(victim.model);
    this.disposeEntry(victim);
    return true;
  }

  private disposeEntry(entry: Entry): void {
    this.retiring.delete(entry);
    void entry.context.then((context) => context.dispose()).catch(() => undefined);
  }

  private releaser(entry: Entry, sequence: LlamaContextSequence): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      entry.busy--;
      entry.lastUsed = Date.now();
      if (entry.retired) {
        if (entry.busy === 0) this.disposeEntry(entry);
      } else {
        entry.free.push(sequence);
      }
      this.notify();
    };
  }

  private notify(): void {
    const waiters = this.changeWaiters;
    this.changeWaiters = [];
    for (const wake of waiters) wake();
  }

  private waitForChange(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(signal!.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.changeWaiters.push(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }
}
