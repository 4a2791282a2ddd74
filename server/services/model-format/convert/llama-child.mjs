// Child-process entry point for llama.cpp loads (plain JavaScript so that it starts without a
// TypeScript loader: node-llama-cpp imports several times faster that way). A malformed GGUF can
// make llama.cpp abort() the process; running here keeps that away from the caller.
// Protocol: one LlamaProbeArgs message in, one ChildMessage out (see protocol.ts).
import { getLlama, LlamaLogLevel } from 'node-llama-cpp';

// Started at once, awaited per request, so that loading overlaps the wait for the request.
const llamaReady = getLlama({
  gpu: false,
  build: 'never',
  logLevel: LlamaLogLevel.warn,
  logger: (level, message) => process.stderr.write(`[llama.cpp ${level}] ${message}\n`),
});
llamaReady.catch(() => undefined);

function adapters(request) {
  return request.adapterGguf ? { lora: { adapters: [{ filePath: request.adapterGguf, scale: 1 }] } } : {};
}

async function run(request) {
  const llama = await llamaReady;
  switch (request.kind) {
    case 'llama-check': {
      const model = await llama.loadModel({ modelPath: request.modelGguf });
      const context = await model.createContext({ contextSize: 64, ...adapters(request) });
      const [evaluated] = await context.getSequence().controlledEvaluate([[model.tokens.bos ?? 0, { generateNext: { logits: true } }]]);
      const info = {
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
      const model = await llama.loadModel({ modelPath: request.modelGguf });
      const context = await model.createContext({
        contextSize: Math.max(64, request.tokens.length + 8),
        batchSize: Math.max(64, request.tokens.length),
        threads: 1,
        // The default F16 KV cache rounds keys and values; parity checks need full precision.
        experimentalKvCacheKeyType: 'F32',
        experimentalKvCacheValueType: 'F32',
        flashAttention: false,
        ...adapters(request),
      });
      const out = await context.getSequence().controlledEvaluate(request.tokens.map((t) => [t, { generateNext: { logits: true } }]));
      const logits = out.map((item, i) => {
        const map = item?.next?.logits;
        if (!map) throw new Error(`llama.cpp returned no logits for position ${i}`);
        const row = new Array(map.size).fill(0);
        for (const [token, value] of map) row[token] = value;
        return row;
      });
      await context.dispose();
      await model.dispose();
      return { logits };
    }
    case 'llama-tokenize': {
      const model = await llama.loadModel({ modelPath: request.modelGguf, vocabOnly: true });
      const tokens = model.tokenize(request.text, request.specialTokens ?? false).map(Number);
      await model.dispose();
      return { tokens };
    }
    default:
      throw new Error(`unknown request ${request.kind}`);
  }
}

function send(message) {
  return new Promise((resolve, reject) => process.send(message, undefined, undefined, (error) => (error ? reject(error) : resolve())));
}

process.once('message', (request) => {
  run(request)
    .then((result) => send({ type: 'result', result, maxRssBytes: process.resourceUsage().maxRSS * 1024 }))
    .catch((error) => send({ type: 'error', error: { code: 'llama_rejected', message: error instanceof Error ? error.message : String(error) } }))
    .finally(() => process.exit(0));
});
