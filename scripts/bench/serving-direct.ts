// The direct side of the serving benchmark (serving.ts): node-llama-cpp called in this process,
// one sequence, greedy, the prompt rendered as the inference server renders it. serving.ts runs it
// as a child process so that its own process, which runs the openai client against the server,
// does not run llama.cpp too. Protocol: prints {"ready":true} once the model is loaded, then one
// RunTiming JSON line for each {"question","maxTokens"} line it reads; ends with its stdin.
//   node --import tsx scripts/bench/serving-direct.ts <model.gguf> <threads> <context size>
import { readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { getLlama, LlamaLogLevel, type LlamaContextSequence, type LlamaModel, type Token } from 'node-llama-cpp';
import { ChatPromptRenderer } from '../../gpu-runner/inference/chat-prompt';
import { CHATML_TEMPLATE } from '../../tests/kit/models/random-model';

export interface RunTiming {
  ttftMs: number;
  /** Tokens after the first, per second of the time between the first and the last. */
  decodeTokensPerS: number;
  tokens: number;
  /** CPU time of the whole run (prompt included) per generated token. */
  cpuMsPerToken: number;
  /** The part of it spent in the server process(es), when there are any. */
  serverCpuMsPerToken?: number;
}

/** CPU time used so far by every thread of a process, in milliseconds (Linux). */
export function processCpuMs(pid: number | 'self' = 'self'): number {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return ns / 1e6;
}

async function main() {
  const [gguf, threads, contextSize] = process.argv.slice(2);
  if (!gguf) throw new Error('usage: serving-direct.ts <model.gguf> <threads> <context size>');
  const THREADS = Number(threads ?? 1);
  const CONTEXT_SIZE = Number(contextSize ?? 1024);
  const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
  const model: LlamaModel = await llama.loadModel({ modelPath: gguf });
  const context = await model.createContext({ contextSize: CONTEXT_SIZE, sequences: 1, threads: THREADS });
  const sequence: LlamaContextSequence = context.getSequence();
  const renderer = new ChatPromptRenderer(CHATML_TEMPLATE, model.tokens.bosString ?? '', model.tokens.eosString ?? '');
  async function run(question: string, maxTokens: number): Promise<RunTiming> {
    const cpuBefore = processCpuMs();
    const started = performance.now();
    const tokens = model.tokenize(renderer.render([{ role: 'user', content: question }]), true);
    // Keep the prefix the sequence already holds, as LlamaCompletion does and the server does.
    await sequence.adaptStateToTokens(tokens.slice(0, -1), false);
    const generated: Token[] = [];
    let text = '';
    let first = 0;
    let last = 0;
    for await (const token of sequence.evaluate(tokens.slice(sequence.nextTokenIndex), { temperature: 0, yieldEogToken: true })) {
      text += model.detokenize([token], false, generated.slice(-8));
      generated.push(token);
      last = performance.now();
      if (generated.length === 1) first = last;
      if (generated.length >= maxTokens) break;
    }
    if (text.length === 0 && generated.length > 1) throw new Error('the direct path produced no text');
    const cpuMsPerToken = (processCpuMs() - cpuBefore) / generated.length;
    return { ttftMs: first - started, decodeTokensPerS: (generated.length - 1) / ((last - first) / 1000), tokens: generated.length, cpuMsPerToken };
  }

  console.log(JSON.stringify({ ready: true }));
  for await (const line of createInterface({ input: process.stdin })) {
    if (!line.trim()) continue;
    const { question, maxTokens } = JSON.parse(line) as { question: string; maxTokens: number };
    try {
      console.log(JSON.stringify(await run(question, maxTokens)));
    } catch (error) {
      console.log(JSON.stringify({ error: error instanceof Error ? error.message : String(error) }));
    }
  }
  await context.dispose();
  await model.dispose();
  await llama.dispose();
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
