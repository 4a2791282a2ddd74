import type { ExportResult } from '../export-gguf';
import type { ConversionArgs } from './protocol';
import { runInChild, type ChildRunOptions } from './run-child';

export type { ConversionArgs } from './protocol';

export interface ConversionOutcome extends ExportResult {
  /** Peak resident memory of the conversion process. */
  maxRssBytes: number;
  /** Wall time including starting the child process (about a second). */
  durationMs: number;
  /** Time the conversion itself took inside the child. */
  conversionMs: number;
  /** CPU time the conversion used (all threads of the child). */
  cpuMs: number;
}

/**
 * Converts a Hugging Face model, a PEFT adapter, or both merged, to GGUF in a child process.
 * Rejects with a ModelError (the child's own code, or conversion_failed if it died).
 */
export async function runConversion(args: ConversionArgs, options: ChildRunOptions = {}): Promise<ConversionOutcome> {
  const started = performance.now();
  const { result, maxRssBytes, workMs, cpuMs } = await runInChild<ExportResult>(args, options);
  const durationMs = performance.now() - started;
  return { ...result, maxRssBytes, durationMs, conversionMs: workMs ?? durationMs, cpuMs: cpuMs ?? 0 };
}
