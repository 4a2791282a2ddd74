// Writes to PostgreSQL that must not be lost when the database restarts mid-run: run in order,
// each retried with backoff until it succeeds. Writes are idempotent (events by (job, seq),
// checkpoints by (job, step)), so a retry after an unknown outcome is safe. A write that fails for
// a reason no retry can fix (its job or organization was deleted, a malformed query) is given up:
// retried forever it would hold every write behind it, and the run waiting for them, for good.
import { Prisma } from '@/server/generated/prisma/client';
import type { Logger } from '@/server/logger';

/** Prisma's codes for a row a write needs that is gone: a foreign key it violates, a record it requires. */
const MISSING_ROW_CODES = new Set(['P2003', 'P2025']);

/** The code of an error no retry can fix, or null for one that may pass later (the database away, a timeout). */
export function permanentWriteError(error: unknown): string | null {
  if (error instanceof Prisma.PrismaClientKnownRequestError && MISSING_ROW_CODES.has(error.code)) return error.code;
  if (error instanceof Prisma.PrismaClientValidationError) return 'invalid_query';
  return null;
}

export type DroppedWrite = { write: string; code: string; message: string; at: Date };

export class RetryQueue {
  private tail: Promise<void> = Promise.resolve();
  private pending = 0;
  /** The writes given up, oldest first (also logged as errors). */
  readonly dropped: DroppedWrite[] = [];

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
          const code = permanentWriteError(error);
          if (code) {
            this.dropped.push({ write: name, code, message: (error as Error).message, at: new Date() });
            this.log.error({ err: error, write: name, code, attempt }, 'database write cannot succeed; given up');
            return;
          }
          if (attempt === 1 || attempt % 20 === 0) this.log.warn({ err: error, write: name, attempt }, 'database write failed; retrying');
          await new Promise((r) => setTimeout(r, delay));
          delay = Math.min(this.maxDelayMs, delay * 2);
        }
      }
    };
    this.tail = this.tail.then(run).finally(() => this.pending--);
    return this.tail;
  }

  /** Like push, resolving with the task's result once it has succeeded (undefined when it was given up). */
  async run<T>(name: string, task: () => Promise<T>): Promise<T | undefined> {
    let result: T | undefined;
    await this.push(name, async () => {
      result = await task();
    });
    return result;
  }

  get size() {
    return this.pending;
  }

  /** Resolves when every write pushed so far has succeeded or been given up. */
  drain(): Promise<void> {
    return this.tail;
  }
}
