import type { ExportResult } from '../../server/services/models/export-gguf';
import type { ConversionArgs } from './protocol';
import { runInChild, type ChildRunOptions } from './run-child';

export type { ConversionArgs } from './protocol';

export interface ConversionOutcome extends ExportResult {
  /** Peak resident memory of the conversion process. */
  maxRssBytes: number;
  durationMs: number;
}

/**
 * Converts a Hugging Face model, a PEFT adapter, or both merged, to GGUF in a child process.
 * Rejects with a ModelError (the child's own code, or conversion_failed if it died).
 */
export async function runConversion(args: ConversionArgs, options: ChildRunOptions = {}): Promise<ConversionOutcome> {
  const started = performance.now();
  const { result, maxRssBytes } = await runInChild<ExportResult>(args, options);
  return { ...result, maxRssBytes, durationMs: performance.now() - started };
}
