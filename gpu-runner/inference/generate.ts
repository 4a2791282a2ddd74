// One generation on a context sequence: prompt in, text deltas out, with OpenAI's stopping rules.
// It drives LlamaContextSequence.evaluate() itself rather than LlamaCompletion, because
// LlamaCompletion prepends BOS on its own (a chat prompt must be exactly what the template renders,
// as in training), silently cuts prompts that are too long, and does not report how many tokens it
// sampled, which usage accounting needs.
import type { LlamaContextSequence, Token } from 'node-llama-cpp';
import type { FinishReason } from '../../lib/universal/openai/schema';

export interface SamplingOptions {
  /** 0 is greedy. */
  temperature: number;
  topP: number;
  seed: number;
  presencePenalty: number;
  frequencyPenalty: number;
  /** Generate through end-of-turn tokens, to exactly maxTokens. */
  ignoreEos: boolean;
}

export interface GenerateOptions extends SamplingOptions {
  sequence: LlamaContextSequence;
  /** The whole prompt; what the sequence already holds of it is reused. */
  tokens: Token[];
  /** Tokens to sample at most, end-of-turn and stop-sequence tokens included. */
  maxTokens: number;
  stop: readonly string[];
  signal?: AbortSignal;
  /** Text as it becomes final: never part of a stop sequence, never half a UTF-8 character. */
  onText?: (delta: string) => void;
}

export interface GenerateResult {
  text: string;
  finishReason: FinishReason;
  completionTokens: number;
  /** The caller went away; `text` is what had been produced by then. */
  aborted: boolean;
}

const REPLACEMENT_CHAR = '\uFFFD';
// Tokens that may be held back while they form an incomplete UTF-8 character.
const MAX_PARTIAL_TOKENS = 4;
// Tokens given to the detokenizer as context so a piece is rendered as it would be in the whole text.
const DETOKENIZE_CONTEXT = 8;

/** Length of the longest suffix of `text` that is a proper prefix of one of `stops`. */
function heldBackLength(text: string, stops: readonly string[]): number {
  let longest = 0;
  for (const stop of stops) {
    for (let k = Math.min(stop.length - 1, text.length); k > longest; k--) {
      if (text.endsWith(stop.slice(0, k))) {
        longest = k;
        break;
      }
    }
  }
  return longest;
}

export async function generate(options: GenerateOptions): Promise<GenerateResult> {
  const { sequence, tokens, stop, signal, onText } = options;
  const model = sequence.model;
  const stops = stop.filter((s) => s.length > 0);

  // Keep the prefix the sequence already holds; the last prompt token is always evaluated so that
  // there are logits to sample the first new token from.
  await sequence.adaptStateToTokens(tokens.slice(0, -1), false);
  const toEvaluate = tokens.slice(sequence.nextTokenIndex);

  const generated: Token[] = [];
  const pending: Token[] = [];
  let text = '';
  let emitted = 0;
  let sampled = 0;
  let finishReason: FinishReason = 'length';
  let aborted = signal?.aborted ?? false;
  const emit = (end: number) => {
    if (end > emitted) {
      onText?.(text.slice(emitted, end));
      emitted = end;
    }
  };
  const repeatPenalty =
    options.presencePenalty !== 0 || options.frequencyPenalty !== 0
      ? { punishTokens: () => generated, penalty: 1, presencePenalty: options.presencePenalty, frequencyPenalty: options.frequencyPenalty }
      : undefined;

  if (!aborted) {
    const iterator = sequence.evaluate(toEvaluate, {
      temperature: options.temperature,
      topP: options.topP,
      topK: 0,
      minP: 0,
      seed: options.seed,
      repeatPenalty,
      yieldEogToken: true,
    });
    for await (const token of iterator) {
      sampled++;
      if (signal?.aborted) {
        aborted = true;
        break;
      }
      if (model.isEogToken(token) && !options.ignoreEos) {
        finishReason = 'stop';
        break;
      }
      const piece = model.detokenize([...pending, token], false, generated.slice(-DETOKENIZE_CONTEXT));
      if (piece.endsWith(REPLACEMENT_CHAR) && pending.length < MAX_PARTIAL_TOKENS && sampled < options.maxTokens) {
        pending.push(token);
        continue;
      }
      generated.push(...pending, token);
      pending.length = 0;
      text += piece;

      let stopAt = -1;
      for (const s of stops) {
        // A stop cannot start before `emitted`: text that could begin one is held back.
        const at = text.indexOf(s, emitted);
        if (at !== -1 && (stopAt === -1 || at < stopAt)) stopAt = at;
      }
      if (stopAt !== -1) {
        text = text.slice(0, stopAt);
        emit(stopAt);
        finishReason = 'stop';
        break;
      }
      emit(text.length - heldBackLength(text, stops));
      // The context is full once the next token would not fit; the sampled token is never evaluated.
      if (sampled >= options.maxTokens || sequence.nextTokenIndex + 1 >= sequence.contextSize) break;
    }
  }
  if (aborted) return { text: text.slice(0, emitted), finishReason, completionTokens: sampled, aborted };
  if (pending.length > 0) {
    text += model.detokenize(pending, false, generated.slice(-DETOKENIZE_CONTEXT));
  }
  emit(text.length);
  return { text, finishReason, completionTokens: sampled, aborted };
}
