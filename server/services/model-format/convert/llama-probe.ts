import { runInChild } from './run-child';

/** Logits llama.cpp computes after each of `tokens` (one row per position), in a child process. */
export async function evaluateGgufLogits(options: { modelGguf: string; adapterGguf?: string; tokens: number[]; timeoutMs?: number }): Promise<number[][]> {
  const { result } = await runInChild<{ logits: number[][] }>(
    { kind: 'llama-logits', modelGguf: options.modelGguf, adapterGguf: options.adapterGguf, tokens: options.tokens },
    { timeoutMs: options.timeoutMs ?? 5 * 60_000 },
  );
  return result.logits;
}

/** How llama.cpp tokenizes `text` with the GGUF's own vocabulary (no BOS added). */
export async function tokenizeWithGguf(options: { modelGguf: string; text: string; specialTokens?: boolean; timeoutMs?: number }): Promise<number[]> {
  const { result } = await runInChild<{ tokens: number[] }>(
    { kind: 'llama-tokenize', modelGguf: options.modelGguf, text: options.text, specialTokens: options.specialTokens },
    { timeoutMs: options.timeoutMs ?? 2 * 60_000 },
  );
  return result.tokens;
}
