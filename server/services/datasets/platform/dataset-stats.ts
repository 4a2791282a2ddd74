import type { DatasetPurpose } from '@/lib/universal/dataset-report';
import type { Conversation } from '@/server/services/datasets/formats';
import { readExamples } from '@/server/services/datasets/read-examples';
import type { DatasetInput } from '@/server/services/datasets/read-lines';
import type { CharacterBucket, DatasetStats } from '@/lib/universal/dataset-report';

/**
 * Bucket edges of the character histogram: 0, then four per doubling from 8 to about a million
 * characters (8, 10, 11, 13, 16, 19, …). Fine enough that the chart can pick its bars from the
 * data (lib/universal/dataset-report.ts binHistogram), with constant memory while streaming.
 */
export const CHARACTER_HISTOGRAM_EDGES: readonly number[] = [
  0,
  ...new Set(Array.from({ length: 4 * 17 + 1 }, (_, k) => Math.round(8 * 2 ** (k / 4)))),
];
const CHARACTERS_PER_TOKEN = 4;
/** Template tokens a chat template adds around each message (role header, end of turn). */
const TEMPLATE_TOKENS_PER_MESSAGE = 4;

export function emptyHistogram(): CharacterBucket[] {
  return CHARACTER_HISTOGRAM_EDGES.map((min, i) => ({ min, max: CHARACTER_HISTOGRAM_EDGES[i + 1] ?? null, count: 0 }));
}

export function characterCounts(conversation: Conversation): { characters: number; trained: number } {
  let characters = 0;
  let trained = 0;
  for (const message of conversation.messages) {
    let length = message.content?.length ?? 0;
    for (const call of message.tool_calls ?? []) length += call.function.name.length + call.function.arguments.length;
    characters += length;
    if (message.role === 'assistant' && message.weight !== 0) trained += length;
  }
  return { characters, trained };
}

/** One streaming pass over the examples without errors; memory stays constant. */
export async function computeDatasetStats({ input, onBytes, purpose = 'fine-tune' }: { input: DatasetInput; onBytes?: (bytes: number) => void; purpose?: DatasetPurpose }): Promise<DatasetStats> {
  const histogram = emptyHistogram();
  let examples = 0;
  let messages = 0;
  let characters = 0;
  let trainedCharacters = 0;
  let estimatedTokens = 0;
  let estimatedTrainedTokens = 0;
  let maxExampleCharacters = 0;
  let bytes = 0;
  for await (const example of readExamples({ input, purpose, onBytes: (read) => ((bytes = read), onBytes?.(read)) })) {
    if (!example.conversation) continue;
    const counts = characterCounts(example.conversation);
    const count = example.conversation.messages.length;
    examples++;
    messages += count;
    characters += counts.characters;
    trainedCharacters += counts.trained;
    estimatedTokens += Math.ceil(counts.characters / CHARACTERS_PER_TOKEN) + TEMPLATE_TOKENS_PER_MESSAGE * count;
    estimatedTrainedTokens += Math.ceil(counts.trained / CHARACTERS_PER_TOKEN);
    maxExampleCharacters = Math.max(maxExampleCharacters, counts.characters);
    let bucket = histogram.length - 1;
    while (bucket > 0 && histogram[bucket]!.min > counts.characters) bucket--;
    histogram[bucket]!.count++;
  }
  return {
    examples,
    bytes,
    messages,
    characters,
    trainedCharacters,
    estimatedTokens,
    estimatedTrainedTokens,
    maxExampleCharacters,
    meanExampleCharacters: examples === 0 ? 0 : Math.round(characters / examples),
    histogram,
  };
}
