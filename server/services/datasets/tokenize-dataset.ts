import { stat } from 'node:fs/promises';
import { z } from 'zod';
import { ChatTokenizer, type EncodedConversation } from './chat-tokenizer';
import { DatasetError, TemplateRenderError } from './dataset-error';
import type { Conversation } from './formats';
import { LtokWriter } from './ltok';
import { readExamples } from './read-examples';
import { readLines, type DatasetInput } from './read-lines';
import { DEFAULT_MAX_LINE_BYTES, isBlank } from './validate-dataset';

export const ZValidationSplit = z.object({
  /** Share of the examples that go to validation, in percent. */
  percent: z.number().min(0).lt(100),
  /** The same seed and file always give the same split. */
  seed: z.number().int().min(0).max(2 ** 32 - 1),
});
export type ValidationSplit = z.infer<typeof ZValidationSplit>;

export interface TokenizeProgress {
  bytesRead: number;
  totalBytes: number | null;
  examples: number;
}

export interface TokenizeDatasetOptions {
  /** A validated JSONL dataset: a file path, or a stream when there is no validation split. */
  input: DatasetInput;
  /** The base model folder: tokenizer.json and tokenizer_config.json (or chat_template.jinja). */
  modelDir: string;
  /** Where the training .ltok goes; written under a temporary name and renamed when complete. */
  output: string;
  /** Where the validation .ltok goes; required with a validation split. */
  validOutput?: string;
  validationSplit?: ValidationSplit;
  /** Examples longer than this many tokens are cut to it. */
  maxLength: number;
  onProgress?: (progress: TokenizeProgress) => void;
  /** Size of a stream input, for progress. */
  totalBytes?: number;
  /** Conversations per tokenizer call; the tokenizer spreads each batch over all cores. */
  batchSize?: number;
  /**
   * Preference pairs (DPO): each example becomes two consecutive records, chosen then rejected,
   * and a pair is kept or dropped whole. Every example must be in the preference format.
   */
  pairs?: boolean;
}

export interface LengthBucket {
  /** Smallest token count in the bucket. */
  min: number;
  /** One past the largest; null for the last, open bucket. */
  max: number | null;
  count: number;
}

export interface SplitStats {
  /** Records written. */
  examples: number;
  /** Tokens written (after truncation). */
  totalTokens: number;
  /** Tokens with mask 1: what training computes loss on and what a job is billed for per epoch. */
  trainedTokens: number;
  /** Examples cut to maxLength. */
  truncated: number;
  /** Examples not written because truncation left none of their assistant tokens. */
  droppedEmpty: number;
  /** Longest example before truncation, in tokens. */
  maxExampleTokens: number;
  /** Example lengths before truncation. */
  histogram: LengthBucket[];
}

export interface TokenizeStats {
  train: SplitStats;
  validation: SplitStats | null;
  maxLength: number;
  bytesRead: number;
}

/** Bucket edges of the length histogram, fixed so charts of different datasets compare. */
export const HISTOGRAM_EDGES = [0, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536, 131072] as const;
const PROGRESS_INTERVAL_MS = 200;

/**
 * Renders each conversation with the base model's chat template, tokenizes it, sets the loss mask
 * on the assistant tokens (weight 1 only) and streams the records into .ltok files. Memory stays
 * at two batches in the tokenizer plus one being prepared. Refuses a line with a validation error (a
 * DatasetError with code `invalid_example` and its line) and publishes nothing in that case.
 */
export async function tokenizeDataset({
  input,
  modelDir,
  output,
  validOutput,
  validationSplit,
  maxLength,
  onProgress,
  totalBytes,
  batchSize = 128,
  pairs = false,
}: TokenizeDatasetOptions): Promise<TokenizeStats> {
  if (!Number.isInteger(maxLength) || maxLength < 1) throw new RangeError('maxLength must be a positive integer.');
  const splitting = validationSplit !== undefined && validationSplit.percent > 0;
  if (splitting) {
    if (validationSplit.percent >= 100) throw new RangeError('validationSplit.percent must be below 100.');
    if (!validOutput) throw new RangeError('validOutput is required with a validation split.');
    if (typeof input !== 'string') throw new DatasetError('split_needs_file', 'A validation split needs the dataset as a file: it counts the examples first.');
  }
  const total = totalBytes ?? (typeof input === 'string' ? (await stat(input)).size : null);
  const chooser = splitting ? await createSplitChooser(input as string, validationSplit) : null;

  const train = await LtokWriter.create(output);
  const valid = chooser ? await LtokWriter.create(validOutput!) : null;
  const tokenizer = await ChatTokenizer.load({ modelDir }).catch(async (error: unknown) => {
    await train.abort();
    await valid?.abort();
    throw error;
  });
  const trainStats = emptyStats();
  const validStats = valid ? emptyStats() : null;

  let bytesRead = 0;
  let examples = 0;
  let lastProgress = 0;
  const progress = (force: boolean) => {
    const now = Date.now();
    if (!onProgress || (!force && now - lastProgress < PROGRESS_INTERVAL_MS)) return;
    lastProgress = now;
    onProgress({ bytesRead, totalBytes: total, examples });
  };

  type Batch = { conversations: Conversation[]; toValidation: boolean[]; lines: number[] };
  const newBatch = (): Batch => ({ conversations: [], toValidation: [], lines: [] });
  const encode = async (batch: Batch) => {
    try {
      return { batch, encoded: await tokenizer.encodeBatch(batch.conversations, maxLength) };
    } catch (error) {
      if (error instanceof TemplateRenderError && error.index !== null) throw new DatasetError(error.code, error.message, batch.lines[error.index]!);
      throw error;
    }
  };
  const store = async ({ batch, encoded }: { batch: Batch; encoded: EncodedConversation[] }) => {
    if (pairs) return storePairs(batch, encoded);
    for (let i = 0; i < encoded.length; i++) {
      const toValidation = batch.toValidation[i]!;
      const record = encoded[i]!;
      const stats = toValidation ? validStats! : trainStats;
      addToHistogram(stats, record.fullLength);
      if (record.truncated) stats.truncated++;
      if (record.trainedTokens === 0) {
        stats.droppedEmpty++;
        continue;
      }
      await (toValidation ? valid! : train).write(record.ids, record.mask);
      stats.examples++;
      stats.totalTokens += record.ids.length;
      stats.trainedTokens += record.trainedTokens;
    }
  };

  // A pair counts as one example; its two records are written together or not at all.
  const storePairs = async (batch: Batch, encoded: EncodedConversation[]) => {
    for (let i = 0; i + 1 < encoded.length; i += 2) {
      const toValidation = batch.toValidation[i]!;
      const chosen = encoded[i]!;
      const rejected = encoded[i + 1]!;
      const stats = toValidation ? validStats! : trainStats;
      addToHistogram(stats, Math.max(chosen.fullLength, rejected.fullLength));
      if (chosen.truncated || rejected.truncated) stats.truncated++;
      if (chosen.trainedTokens === 0 || rejected.trainedTokens === 0) {
        stats.droppedEmpty++;
        continue;
      }
      const writer = toValidation ? valid! : train;
      await writer.write(chosen.ids, chosen.mask);
      await writer.write(rejected.ids, rejected.mask);
      stats.examples++;
      stats.totalTokens += chosen.ids.length + rejected.ids.length;
      stats.trainedTokens += chosen.trainedTokens + rejected.trainedTokens;
    }
  };

  try {
    let batch = newBatch();
    // The next batch is handed to the tokenizer before the previous one is stored, so its threads
    // never wait for this one while it copies ids and writes.
    const inFlight: ReturnType<typeof encode>[] = [];
    const submit = async (drain = false) => {
      if (batch.conversations.length > 0) {
        const encoding = encode(batch);
        // Keep a rejection from surfacing as unhandled before it is awaited.
        encoding.catch(() => undefined);
        inFlight.push(encoding);
        batch = newBatch();
      }
      while (inFlight.length > (drain ? 0 : 1)) await store(await inFlight.shift()!);
    };
    for await (const example of readExamples({ input, onBytes: (bytes) => ((bytesRead = bytes), progress(false)) })) {
      if (example.error) {
        const { code, message } = example.error;
        throw new DatasetError('invalid_example', `${code}: ${message} Validate the file and fix its errors first.`, example.line);
      }
      examples++;
      const toValidation = chooser ? chooser() : false;
      if (pairs) {
        if (!example.rejected) {
          throw new DatasetError('not_preference_data', 'Preference tuning needs every example in the preference format: "input", "preferred_output" and "non_preferred_output".', example.line);
        }
        batch.conversations.push(example.conversation, example.rejected);
        batch.toValidation.push(toValidation, toValidation);
        batch.lines.push(example.line, example.line);
      } else {
        batch.conversations.push(example.conversation);
        batch.toValidation.push(toValidation);
        batch.lines.push(example.line);
      }
      if (batch.conversations.length >= batchSize) await submit();
    }
    await submit(true);
    if (trainStats.examples === 0) {
      throw new DatasetError('empty_dataset', examples === 0 ? 'The dataset has no examples.' : 'No example has assistant tokens left within maxLength.');
    }
    await train.commit();
    if (valid) await valid.commit();
  } catch (error) {
    await train.abort();
    await valid?.abort();
    throw error;
  } finally {
    await tokenizer.close();
  }
  progress(true);
  return { train: trainStats, validation: validStats, maxLength, bytesRead };
}

function emptyStats(): SplitStats {
  return {
    examples: 0,
    totalTokens: 0,
    trainedTokens: 0,
    truncated: 0,
    droppedEmpty: 0,
    maxExampleTokens: 0,
    histogram: HISTOGRAM_EDGES.map((min, i) => ({ min, max: HISTOGRAM_EDGES[i + 1] ?? null, count: 0 })),
  };
}

function addToHistogram(stats: SplitStats, tokens: number): void {
  if (tokens > stats.maxExampleTokens) stats.maxExampleTokens = tokens;
  let bucket = HISTOGRAM_EDGES.length - 1;
  while (bucket > 0 && tokens < HISTOGRAM_EDGES[bucket]!) bucket--;
  stats.histogram[bucket]!.count++;
}

/**
 * Chooses exactly round(n * percent / 100) of the n examples for validation (at least one, and
 * at least one left for training), by selection sampling: a single pass with a seeded generator.
 */
async function createSplitChooser(file: string, { percent, seed }: ValidationSplit): Promise<() => boolean> {
  let total = 0;
  for await (const line of readLines({ input: file, maxLineBytes: DEFAULT_MAX_LINE_BYTES })) {
    if (line.oversized || !isBlank(line.bytes)) total++;
  }
  const wanted = total < 2 ? 0 : Math.min(total - 1, Math.max(1, Math.round((total * percent) / 100)));
  const random = mulberry32(seed);
  let seen = 0;
  let chosen = 0;
  return () => {
    const pick = random() * (total - seen) < wanted - chosen;
    seen++;
    if (pick) chosen++;
    return pick;
  };
}

function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
