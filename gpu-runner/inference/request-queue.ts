// Bounded concurrency for generations: at most `concurrency` run at once, up to `maxQueue` wait in
// arrival order, and the next one is refused at once (429) with an estimate of when to come back.
import { overloaded } from '../../lib/universal/openai/errors';

interface Waiter {
  grant: (release: () => void) => void;
  fail: (reason: unknown) => void;
}

export class RequestQueue {
  private running = 0;
  private readonly waiters: Waiter[] = [];
  // Smoothed time a request holds its slot, for Retry-After.
  private averageHoldMs = 1000;

  constructor(
    readonly concurrency: number,
    readonly maxQueue: number,
  ) {
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError('concurrency must be a positive integer');
    if (!Number.isInteger(maxQueue) || maxQueue < 0) throw new RangeError('maxQueue must be a non-negative integer');
  }

  get stats(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiters.length };
  }

  /** Seconds until a slot is likely free for a request arriving now. */
  retryAfterSeconds(): number {
    const ahead = this.waiters.length + 1;
    return Math.min(60, Math.max(1, Math.ceil((this.averageHoldMs * ahead) / this.concurrency / 1000)));
  }

  /**
   * Resolves with a release function once a slot is free. Throws a 429 InferenceError at once when
   * the queue is full; rejects with the signal's reason if the caller gives up while waiting.
   */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.running < this.concurrency && this.waiters.length === 0) {
      this.running++;
      return Promise.resolve(this.releaser());
    }
    if (this.waiters.length >= this.maxQueue) return Promise.reject(overloaded(this.retryAfterSeconds()));
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        const index = this.waiters.indexOf(waiter);
        if (index !== -1) this.waiters.splice(index, 1);
        reject(signal!.reason);
      };
      const waiter: Waiter = {
        grant: (release) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(release);
        },
        fail: (reason) => {
          signal?.removeEventListener('abort', onAbort);
          reject(reason);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** Fails every waiting request (shutdown); running ones keep their slots. */
  rejectWaiting(reason: unknown): void {
    for (const waiter of this.waiters.splice(0)) waiter.fail(reason);
  }

  private releaser(): () => void {
    const started = performance.now();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.averageHoldMs = 0.8 * this.averageHoldMs + 0.2 * (performance.now() - started);
      const next = this.waiters.shift();
      if (next) next.grant(this.releaser());
      else this.running--;
    };
  }
}
