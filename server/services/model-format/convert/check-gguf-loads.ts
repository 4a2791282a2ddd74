import { isModelError, type ModelErrorCode } from '../errors';
import type { LlamaCheckInfo } from './protocol';
import { runInChild } from './run-child';

export interface CheckGgufLoadsOptions {
  modelGguf: string;
  adapterGguf?: string;
  timeoutMs?: number;
}

export type GgufLoadCheck = ({ ok: true } & LlamaCheckInfo) | { ok: false; code: ModelErrorCode; message: string };

/**
 * Loads a GGUF (and optionally a LoRA adapter on it) with llama.cpp in a child process and runs
 * one token through it. A file llama.cpp refuses, even by aborting, comes back as ok: false.
 */
export async function checkGgufLoads(options: CheckGgufLoadsOptions): Promise<GgufLoadCheck> {
  try {
    const { result } = await runInChild<LlamaCheckInfo>(
      { kind: 'llama-check', modelGguf: options.modelGguf, adapterGguf: options.adapterGguf },
      { timeoutMs: options.timeoutMs ?? 5 * 60_000 },
    );
    return { ok: true, ...result };
  } catch (error) {
    if (isModelError(error)) {
      const message = error.code === 'llama_rejected' && !error.message.startsWith('llama.cpp') ? `llama.cpp rejected the file: ${error.message}` : error.message;
      return { ok: false, code: error.code, message };
    }
    throw error;
  }
}
