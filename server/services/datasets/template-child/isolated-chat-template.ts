// Chat templates rendered in child processes (child.ts) with a time limit per request and a heap
// limit per child, so a model's template can neither stall nor exhaust the process that asked:
// the web server (dataset previews) or the worker (job tokenization). Children are reused for
// the next template while they stay healthy, since starting one costs about a second.
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChatTemplateOptions, RenderedConversation } from '../chat-template';
import { TemplateRenderError } from '../dataset-error';
import type { Conversation } from '../formats';
import type { TemplateCall, TemplateReply, TemplateRequest } from './protocol';

export interface TemplateLimits {
  /** Longest one request may take: loading the template, or rendering one chunk of conversations. */
  timeoutMs: number;
  /** The child's JavaScript heap limit, in MiB. */
  memoryMb: number;
}

export const DEFAULT_TEMPLATE_LIMITS: TemplateLimits = { timeoutMs: 10_000, memoryMb: 512 };

/** LATHE_TEMPLATE_TIMEOUT_MS and LATHE_TEMPLATE_MEMORY_MB, or the defaults. */
export function templateLimits(env: Record<string, string | undefined> = process.env): TemplateLimits {
  return {
    timeoutMs: positiveInteger(env, 'LATHE_TEMPLATE_TIMEOUT_MS', DEFAULT_TEMPLATE_LIMITS.timeoutMs),
    memoryMb: positiveInteger(env, 'LATHE_TEMPLATE_MEMORY_MB', DEFAULT_TEMPLATE_LIMITS.memoryMb),
  };
}

function positiveInteger(env: Record<string, string | undefined>, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} must be a positive whole number, not "${raw}"`);
  return value;
}

const ENTRY = 'server/services/datasets/template-child/child.ts';
const STARTUP_TIMEOUT_MS = 60_000;
const MAX_CHILDREN = 4;
const MAX_IDLE_CHILDREN = 2;
const IDLE_MS = 60_000;
const STDERR_TAIL = 8 * 1024;
// Chunks keep each request (and its time limit) to a bounded amount of work.
const CHUNK_CONVERSATIONS = 64;
const CHUNK_CHARS = 8 * 1024 * 1024;

function childEntry(): string {
  const candidates = [path.resolve(process.cwd(), ENTRY)];
  try {
    // Beside this file when it runs from source (worker, CLI, tests); in the web app's bundle it does not, and the working directory is the repository.
    candidates.unshift(path.join(path.dirname(fileURLToPath(import.meta.url)), 'child.ts'));
  } catch {
    // import.meta.url is not a file URL in a bundle.
  }
  const found = candidates.find((file) => existsSync(file));
  if (!found) throw new Error(`The chat template program ${ENTRY} is missing next to the server.`);
  return found;
}

type Pending = { id: number; resolve: (reply: Extract<TemplateReply, { type: 'done' }>) => void; reject: (error: Error) => void; timer: NodeJS.Timeout; what: string; timeoutMs: number };

class TemplateChild {
  private pending: Pending | null = null;
  private stderr = '';
  private nextId = 1;
  private timedOut = false;
  alive = true;
  idleTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly child: ChildProcess,
    readonly memoryMb: number,
  ) {}

  static spawn(memoryMb: number): Promise<TemplateChild> {
    const child = fork(childEntry(), [], {
      execArgv: ['--import', 'tsx', `--max-old-space-size=${memoryMb}`],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
      cwd: process.cwd(),
      // The template needs no secret of this process: the child gets none.
      env: { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: process.env.TMPDIR, NODE_ENV: process.env.NODE_ENV },
    });
    const handle = new TemplateChild(child, memoryMb);
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => (handle.stderr = (handle.stderr + chunk).slice(-STDERR_TAIL)));
    child.on('message', (reply: TemplateReply) => handle.onReply(reply));
    child.on('exit', (code, signal) => handle.onExit(code, signal));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`The chat template process did not start within ${STARTUP_TIMEOUT_MS / 1000} s.`));
      }, STARTUP_TIMEOUT_MS);
      child.once('message', () => {
        clearTimeout(timer);
        resolve(handle);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`The chat template process could not start (${signal ?? `exit ${code}`}): ${lastLine(handle.stderr)}`));
      });
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(new Error(`The chat template process could not start: ${error.message}`));
      });
    });
  }

  request(message: TemplateCall, what: string, timeoutMs: number): Promise<Extract<TemplateReply, { type: 'done' }>> {
    if (!this.alive) return Promise.reject(new TemplateRenderError('template_error', `The chat template process has ended; ${what} cannot run.`, null));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.timedOut = true;
        this.child.kill('SIGKILL');
      }, timeoutMs);
      this.pending = { id, resolve, reject, timer, what, timeoutMs };
      this.child.send({ ...message, id } as TemplateRequest);
    });
  }

  private onReply(reply: TemplateReply) {
    const pending = this.pending;
    if (reply.type === 'started' || !pending || reply.id !== pending.id) return;
    clearTimeout(pending.timer);
    this.pending = null;
    if (reply.type === 'done') pending.resolve(reply);
    else pending.reject(new TemplateRenderError(reply.error.code, reply.error.message, reply.error.index));
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null) {
    this.alive = false;
    clearTimeout(this.idleTimer);
    pool.forget(this);
    const pending = this.pending;
    if (!pending) return;
    clearTimeout(pending.timer);
    this.pending = null;
    pending.reject(this.exitError(pending, code, signal));
  }

  private exitError(pending: Pending, code: number | null, signal: NodeJS.Signals | null): TemplateRenderError {
    if (this.timedOut) return limitError('template_timeout', pending.what, pending.timeoutMs);
    if (/heap limit|heap out of memory|Invalid array length|Array buffer allocation failed/i.test(this.stderr)) return limitError('template_memory_exceeded', pending.what, this.memoryMb);
    return new TemplateRenderError('template_error', `The chat template process ended (${signal ?? `exit ${code}`}) while ${pending.what}: ${lastLine(this.stderr)}`, null);
  }

  /** Idle children do not keep this process alive. */
  setIdle(idle: boolean) {
    if (idle) {
      this.child.unref();
      this.child.channel?.unref();
    } else {
      this.child.ref();
      this.child.channel?.ref();
    }
  }

  kill() {
    this.child.kill('SIGKILL');
  }
}

/** `limit` is the time limit in ms for a timeout, the heap limit in MiB otherwise. */
function limitError(code: 'template_timeout' | 'template_memory_exceeded', what: string, limit: number): TemplateRenderError {
  if (code === 'template_timeout') {
    return new TemplateRenderError(
      code,
      `The model's chat template took longer than ${limit / 1000} s ${what} (the limit is LATHE_TEMPLATE_TIMEOUT_MS); it may loop over a huge range. Fix the chat template in the model's tokenizer_config.json, or use another model.`,
      null,
    );
  }
  return new TemplateRenderError(
    code,
    `The model's chat template needed more than ${limit} MiB of memory ${what} (the limit is LATHE_TEMPLATE_MEMORY_MB); it may build a huge list or string. Fix the chat template in the model's tokenizer_config.json, or use another model.`,
    null,
  );
}

function lastLine(text: string): string {
  return (
    text
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean)
      .at(-1) ?? 'no diagnostic output'
  ).slice(0, 500);
}

/** Children of this process: at most MAX_CHILDREN at once, the healthy ones kept a while for the next template. */
const pool = new (class {
  private readonly idle: TemplateChild[] = [];
  private live = 0;
  private readonly waiting: Array<() => void> = [];

  async acquire(memoryMb: number): Promise<TemplateChild> {
    for (;;) {
      const index = this.idle.findIndex((c) => c.memoryMb === memoryMb && c.alive);
      if (index !== -1) {
        const [child] = this.idle.splice(index, 1);
        clearTimeout(child!.idleTimer);
        child!.setIdle(false);
        this.live++;
        return child!;
      }
      if (this.live + this.idle.length < MAX_CHILDREN) break;
      // A child of another heap limit may be idle: make room for this one.
      const spare = this.idle.shift();
      if (spare) {
        spare.kill();
        this.forget(spare);
        continue;
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    this.live++;
    try {
      return await TemplateChild.spawn(memoryMb);
    } catch (error) {
      this.live--;
      this.waiting.shift()?.();
      throw error;
    }
  }

  async release(child: TemplateChild, timeoutMs: number) {
    this.live--;
    if (child.alive && this.idle.length < MAX_IDLE_CHILDREN) {
      try {
        await child.request({ type: 'reset' }, 'forgetting the template', timeoutMs);
        child.setIdle(true);
        child.idleTimer = setTimeout(() => child.kill(), IDLE_MS);
        child.idleTimer.unref();
        this.idle.push(child);
      } catch {
        child.kill();
      }
    } else if (child.alive) {
      child.kill();
    }
    this.waiting.shift()?.();
  }

  forget(child: TemplateChild) {
    const index = this.idle.indexOf(child);
    if (index !== -1) this.idle.splice(index, 1);
    this.waiting.shift()?.();
  }
})();

/** Renders conversations with a chat template; `close` frees what it holds. */
export interface TemplateRenderer {
  render(conversations: readonly Conversation[]): Promise<RenderedConversation[]>;
  /** The conversation followed by the template's generation prompt. */
  renderPrompt(conversation: Conversation): Promise<string>;
  close(): Promise<void>;
}

/** A chat template loaded into a child process of the pool: every render runs there, under the limits. */
export class IsolatedChatTemplate implements TemplateRenderer {
  private failure: Error | null = null;
  /** The child takes one request at a time; callers may overlap (tokenization renders ahead). */
  private tail: Promise<unknown> = Promise.resolve();

  private constructor(
    private child: TemplateChild | null,
    private readonly limits: TemplateLimits,
  ) {}

  static async start(options: ChatTemplateOptions, limits: TemplateLimits = templateLimits()): Promise<IsolatedChatTemplate> {
    const template = new IsolatedChatTemplate(await pool.acquire(limits.memoryMb), limits);
    try {
      await template.call({ type: 'init', options }, 'to load');
    } catch (error) {
      await template.close();
      throw error;
    }
    return template;
  }

  async render(conversations: readonly Conversation[]): Promise<RenderedConversation[]> {
    const rendered: RenderedConversation[] = [];
    for (let start = 0; start < conversations.length; ) {
      let end = start;
      let chars = 0;
      while (end < conversations.length && end - start < CHUNK_CONVERSATIONS && (end === start || chars < CHUNK_CHARS)) chars += sizeOf(conversations[end++]!);
      const count = end - start;
      try {
        const reply = await this.call({ type: 'render', conversations: conversations.slice(start, end) }, `to render ${count === 1 ? 'a conversation' : `${count} conversations`}`);
        rendered.push(...reply.rendered!);
      } catch (error) {
        if (error instanceof TemplateRenderError && error.index !== null) throw new TemplateRenderError(error.code, error.message, start + error.index);
        throw error;
      }
      start = end;
    }
    return rendered;
  }

  async renderPrompt(conversation: Conversation): Promise<string> {
    return (await this.call({ type: 'prompt', conversation }, 'to render a prompt')).prompt!;
  }

  async close(): Promise<void> {
    await this.tail;
    const child = this.child;
    this.child = null;
    if (child) await pool.release(child, this.limits.timeoutMs);
  }

  private call(message: TemplateCall, what: string) {
    const run = this.tail.then(() => this.send(message, what));
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async send(message: TemplateCall, what: string) {
    if (this.failure) throw this.failure;
    if (!this.child) throw new Error('The chat template was closed.');
    try {
      return await this.child.request(message, what, this.limits.timeoutMs);
    } catch (error) {
      if (error instanceof TemplateRenderError && (error.code === 'template_timeout' || error.code === 'template_memory_exceeded')) this.failure = error;
      throw error;
    }
  }
}

function sizeOf(conversation: Conversation): number {
  let chars = conversation.tools ? JSON.stringify(conversation.tools).length : 0;
  for (const message of conversation.messages) chars += (message.content?.length ?? 0) + (message.tool_calls ? JSON.stringify(message.tool_calls).length : 0) + 64;
  return chars;
}
