import { Worker } from 'node:worker_threads';
import { ModelError, type ModelErrorCode } from '../errors';
import { encodeChunk, type ChunkJob } from './chunk-codec';

interface Pending {
  resolve: (bytes: Uint8Array) => void;
  reject: (error: Error) => void;
}

/** Converts tensor chunks on worker threads (round robin), or on this thread when size is 0. */
export class ChunkCodecPool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private nextWorker = 0;
  private failure?: Error;

  constructor(readonly size: number) {
    for (let i = 0; i < size; i++) {
      const worker = new Worker(new URL('./chunk-codec-worker.mjs', import.meta.url));
      worker.on('message', (message: { id: number; bytes?: Uint8Array; error?: { message: string; code?: string } }) => {
        const entry = this.pending.get(message.id);
        if (!entry) return;
        this.pending.delete(message.id);
        if (message.error) {
          entry.reject(message.error.code ? new ModelError(message.error.code as ModelErrorCode, message.error.message) : new Error(message.error.message));
        } else entry.resolve(message.bytes!);
      });
      worker.on('error', (error) => this.fail(error));
      worker.on('exit', (code) => {
        if (code !== 0) this.fail(new Error(`a conversion worker exited with code ${code}`));
      });
      this.workers.push(worker);
    }
  }

  private fail(error: Error) {
    this.failure ??= error;
    for (const entry of this.pending.values()) entry.reject(error);
    this.pending.clear();
  }

  run(job: ChunkJob): Promise<Uint8Array> {
    if (this.size === 0) return Promise.resolve().then(() => encodeChunk(job));
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    const worker = this.workers[this.nextWorker++ % this.workers.length]!;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const transfer = job.raw.byteOffset === 0 && job.raw.byteLength === job.raw.buffer.byteLength ? [job.raw.buffer as ArrayBuffer] : [];
      worker.postMessage({ id, job }, transfer);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
