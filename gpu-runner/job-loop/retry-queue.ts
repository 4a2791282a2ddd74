// Writes to PostgreSQL that must not be lost when the database restarts mid-run: run in order,
// each retried with backoff until it succeeds. Writes are idempotent (events by (job, seq),
// checkpoints by (job, step)), so a retry after an unknown outcome is safe.
import type { Logger } from '@/server/logger';

export class RetryQueue {
  private tail: Promise<void> = Promise.resolve();
  private pending = 0;

  constructor(private readonly log: Logger, private readonly maxDelayMs = 2000) {}

  push(name: string, task: () => Promise<unknown>): Promise<void> {
    this.pending++;
    const run = async () => {
      let delay = 100;
      for (let attempt = 1; ; attempt++) {
        try {
          await task();
          return;
        } catch (error) {
          if (attempt === 1 || attempt % 20 === 0) this.log.warn({ err: error, write: name, attempt }, 'database write failed; retrying');
          await new Promise((r) => setTimeout(r, delay));
          delay = Math.min(this.maxDelayMs, delay * 2);
        }
      }
    };
    this.tail = this.tail.then(run).finally(() => this.pending--);
    return this.tail;
  }

  /** Like push, resolving with the task's result once it has succeeded. */
  async run<T>(name: string, task: () => Promise<T>): Promise<T> {
    let result: T | undefined;
    await this.push(name, async () => {
      result = await task();
    });
    return result as T;
  }

  get size() {
    return this.pending;
  }

  /** Resolves when every write pushed so far has succeeded. */
  drain(): Promise<void> {
    return this.tail;
  }
}
