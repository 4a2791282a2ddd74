// Child-process entry point for conversions and llama.cpp loads. A malformed GGUF can make llama.cpp
// abort() the whole process; running here keeps that away from the web server, worker or runner.
import { exportAdapterToGguf, exportModelToGguf, mergeAdapterToGguf } from '../../server/services/models/export-gguf';
import { ModelError } from '../../server/services/models/errors';
import type { Token } from 'node-llama-cpp';
import type { ChildMessage, ChildRequest, LlamaCheckInfo } from './protocol';

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

async function loadLlama() {
  const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
  return getLlama({
    gpu: false,
    build: 'never',
    logLevel: LlamaLogLevel.warn,
    logger: (level, message) => process.stderr.write(`[llama.cpp ${level}] ${message}\n`),
  });
}

async function run(request: ChildRequest) {
  switch (request.kind) {
    case 'model':
      return exportModelToGguf({ modelDir: request.modelDir, outFile: request.outFile, type: request.type, name: request.name, onProgress });
    case 'merge':
      return mergeAdapterToGguf({ modelDir: request.modelDir, adapterDir: request.adapterDir, outFile: request.outFile, type: request.type, name: request.name, onProgress });
    case 'adapter':
      return exportAdapterToGguf({ baseModelDir: request.baseModelDir, adapterDir: request.adapterDir, outFile: request.outFile, name: request.name, onProgress });
    case 'llama-check': {
      const llama = await loadLlama();
      const model = await llama.loadModel({ modelPath: request.modelGguf });
      const context = await model.createContext({
        contextSize: 64,
        ...(request.adapterGguf ? { lora: { adapters: [{ filePath: request.adapterGguf, scale: 1 }] } } : {}),
      });
      const sequence = context.getSequence();
      const probe = (model.tokens.bos ?? 0) as Token;
      const [evaluated] = await sequence.controlledEvaluate([[probe, { generateNext: { logits: true } }]]);
      const info: LlamaCheckInfo = {
        architecture: model.fileInfo.metadata?.general?.architecture,
        vocabularySize: evaluated?.next?.logits?.size ?? 0,
        trainContextSize: model.trainContextSize,
        parameterCount: model.fileInsights.totalParameters,
        bosToken: model.tokens.bos ?? undefined,
        eosToken: model.tokens.eos ?? undefined,
        adapterLoaded: Boolean(request.adapterGguf),
      };
      await context.dispose();
      await model.dispose();
      return info;
    }
    case 'llama-logits': {
      const llama = await loadLlama();
      const model = await llama.loadModel({ modelPath: request.modelGguf });
      const context = await model.createContext({
        contextSize: Math.max(64, request.tokens.length + 8),
        batchSize: Math.max(64, request.tokens.length),
        threads: 1,
        // The default F16 KV cache rounds keys and values; parity checks need llama.cpp's full precision.
        experimentalKvCacheKeyType: 'F32',
        experimentalKvCacheValueType: 'F32',
        flashAttention: false,
        ...(request.adapterGguf ? { lora: { adapters: [{ filePath: request.adapterGguf, scale: 1 }] } } : {}),
      });
      const out = await context.getSequence().controlledEvaluate(request.tokens.map((t) => [t as Token, { generateNext: { logits: true } }] as const));
      const logits = out.map((item, i) => {
        const map = item?.next?.logits;
        if (!map) throw new Error(`llama.cpp returned no logits for position ${i}`);
        const row = new Array<number>(map.size).fill(0);
        for (const [token, value] of map) row[token] = value;
        return row;
      });
      await context.dispose();
      await model.dispose();
      return { logits };
    }
    case 'llama-tokenize': {
      const llama = await loadLlama();
      const model = await llama.loadModel({ modelPath: request.modelGguf, vocabOnly: true });
      const tokens = model.tokenize(request.text, request.specialTokens ?? false).map(Number);
      await model.dispose();
      return { tokens };
    }
  }
}

process.once('message', (request: ChildRequest) => {
  run(request)
    .then((result) => send({ type: 'result', result, maxRssBytes: process.resourceUsage().maxRSS * 1024 }))
    .catch((error: unknown) =>
      send({
        type: 'error',
        error:
          error instanceof ModelError
            ? error.toJSON()
            : { code: request.kind.startsWith('llama') ? 'llama_rejected' : 'conversion_failed', message: error instanceof Error ? error.message : String(error) },
      }),
    )
    .finally(() => process.exit(0));
});
