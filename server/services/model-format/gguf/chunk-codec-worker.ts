import { parentPort } from 'node:worker_threads';
import { encodeChunk, type ChunkJob } from './chunk-codec';

parentPort!.on('message', ({ id, job }: { id: number; job: ChunkJob }) => {
  try {
    const bytes = encodeChunk(job);
    parentPort!.postMessage({ id, bytes }, [bytes.buffer as ArrayBuffer]);
  } catch (error) {
    parentPort!.postMessage({ id, error: { message: (error as Error).message, code: (error as { code?: string }).code } });
  }
});
