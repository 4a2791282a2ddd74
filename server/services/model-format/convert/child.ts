// Child-process entry point for conversions: a crash or runaway memory here never takes down the
// web server, worker or runner that asked for it.
import { exportAdapterToGguf, exportModelToGguf, mergeAdapterToGguf } from '../export-gguf';
import { ModelError } from '../errors';
import type { ChildMessage, ConversionArgs } from './protocol';

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve, reject) => process.send!(message, undefined, undefined, (error: Error | null) => (error ? reject(error) : resolve())));
}

let lastProgress = 0;
const onProgress = (progress: Parameters<NonNullable<Parameters<typeof exportModelToGguf>[0]['onProgress']>>[0]) => {
  const now = Date.now();
  if (now - lastProgress < 200 && progress.tensorsDone < progress.tensorsTotal) return;
  lastProgress = now;
  process.send!({ type: 'progress', progress } satisfies ChildMessage);
};

async function run(request: ConversionArgs) {
  switch (request.kind) {
    case 'model':
      return exportModelToGguf({ modelDir: request.modelDir, outFile: request.outFile, type: request.type, name: request.name, threads: request.threads, onProgress });
    case 'merge':
      return mergeAdapterToGguf({ modelDir: request.modelDir, adapterDir: request.adapterDir, outFile: request.outFile, type: request.type, name: request.name, threads: request.threads, onProgress });
    case 'adapter':
      return exportAdapterToGguf({ baseModelDir: request.baseModelDir, adapterDir: request.adapterDir, outFile: request.outFile, name: request.name, onProgress });
    default:
      throw new Error(`conversion child got an unknown request ${(request as { kind: string }).kind}`);
  }
}

process.once('message', (request: ConversionArgs) => {
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  run(request)
    .then((result) => {
      const cpu = process.cpuUsage(cpuBefore);
      return send({ type: 'result', result, maxRssBytes: process.resourceUsage().maxRSS * 1024, workMs: performance.now() - started, cpuMs: (cpu.user + cpu.system) / 1000 });
    })
    .catch((error: unknown) =>
      send({
        type: 'error',
        error:
          error instanceof ModelError
            ? error.toJSON()
            : { code: 'conversion_failed', message: error instanceof Error ? error.message : String(error) },
      }),
    )
    .finally(() => process.exit(0));
});
