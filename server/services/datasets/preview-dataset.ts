import { ChatTokenizer } from './chat-tokenizer';
import { readExamples } from './read-examples';
import type { DatasetInput } from './read-lines';
import type { DatasetPurpose } from '@/lib/universal/dataset-report';

export interface PreviewDatasetOptions {
  input: DatasetInput;
  modelDir: string;
  /** How many examples to show. Default 5. */
  limit?: number;
  /** Tokens kept per example, as in training; the rest is left out of the segments. */
  maxLength?: number;
  /** "evals": an eval set's chats, which end with the user's turn (nothing in them is trained). */
  purpose?: DatasetPurpose;
}

export interface PreviewSegment {
  text: string;
  /** True where the tokens covering this text are training targets. */
  trained: boolean;
}

export interface PreviewSide {
  segments: PreviewSegment[];
  tokens: number;
  trainedTokens: number;
  truncated: boolean;
}

export interface PreviewExample {
  line: number;
  /** Preference data: the input with the non-preferred output; the fields above hold the preferred one. */
  rejected?: PreviewSide;
  /** The example as the model sees it, cut where truncation cuts it. */
  segments: PreviewSegment[];
  tokens: number;
  trainedTokens: number;
  truncated: boolean;
}

export interface DatasetPreview {
  examples: PreviewExample[];
  /** Lines skipped before the examples shown because they have errors. */
  skippedLines: number[];
}

const DEFAULT_LIMIT = 5;
const MAX_SKIPPED = 100;

/**
 * The first examples rendered through the model's chat template and split into segments by loss
 * mask, computed by the same code as tokenizeDataset so the highlighting is what training does.
 */
export async function previewDataset({ input, modelDir, limit = DEFAULT_LIMIT, maxLength = Number.MAX_SAFE_INTEGER, purpose = 'fine-tune' }: PreviewDatasetOptions): Promise<DatasetPreview> {
  const tokenizer = await ChatTokenizer.load({ modelDir });
  try {
    return await previewExamples(tokenizer, input, limit, maxLength, purpose);
  } finally {
    await tokenizer.close();
  }
}

async function previewExamples(tokenizer: ChatTokenizer, input: DatasetInput, limit: number, maxLength: number, purpose: DatasetPurpose): Promise<DatasetPreview> {
  const examples: PreviewExample[] = [];
  const skippedLines: number[] = [];
  for await (const example of readExamples({ input, purpose })) {
    if (examples.length >= limit) break;
    if (example.error) {
      skippedLines.push(example.line);
      if (skippedLines.length >= MAX_SKIPPED) break;
      continue;
    }
    const side = async (conversation: typeof example.conversation): Promise<PreviewSide> => {
      const encoded = await tokenizer.encodeWithText(conversation, maxLength);
      return {
        segments: segmentsOf(encoded.text, encoded.offsets, encoded.mask, encoded.truncated),
        tokens: encoded.ids.length,
        trainedTokens: encoded.trainedTokens,
        truncated: encoded.truncated,
      };
    };
    const shown: PreviewExample = { line: example.line, ...(await side(example.conversation)) };
    if (example.rejected) shown.rejected = await side(example.rejected);
    examples.push(shown);
  }
  return { examples, skippedLines };
}

/**
 * Cuts the text at mask changes. Characters no token covers (whitespace trimmed from offsets)
 * go with the token after them; past the last token, only an untruncated example keeps its text.
 */
function segmentsOf(text: string, offsets: readonly (readonly [number, number])[], mask: Uint8Array, truncated: boolean): PreviewSegment[] {
  const segments: PreviewSegment[] = [];
  const push = (from: number, to: number, trained: boolean) => {
    if (to <= from) return;
    const last = segments[segments.length - 1];
    if (last && last.trained === trained) last.text += text.slice(from, to);
    else segments.push({ text: text.slice(from, to), trained });
  };
  let cursor = 0;
  offsets.forEach(([, end], i) => {
    push(cursor, end, mask[i] === 1);
    cursor = Math.max(cursor, end);
  });
  if (!truncated) push(cursor, text.length, false);
  return segments;
}
