import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Tokenizer, type Encoding } from 'tokenizers';
import { ChatTemplate, type ChatTemplateOptions, type RenderedConversation, type Span } from './chat-template';
import { DatasetError, TemplateRenderError } from './dataset-error';
import type { Conversation } from './formats';
import { IsolatedChatTemplate, type TemplateLimits, type TemplateRenderer } from './template-child/isolated-chat-template';
import type { TokenCounter } from './validate-dataset';

export interface LoadChatTokenizerOptions {
  /** A model folder with tokenizer.json and tokenizer_config.json (or chat_template.jinja). */
  modelDir: string;
  /** Turn off the template's compiled fast path (tests compare both paths). */
  compileTemplate?: boolean;
  /**
   * Where the chat template runs: in a child process under time and memory limits (default), or
   * in this process for templates that come with the code (tests, benchmarks) and never a model.
   */
  isolation?: { limits?: TemplateLimits } | 'in-process';
}

export interface EncodedConversation {
  /** Token ids, truncated to maxLength. */
  ids: number[];
  /** 1 where the token is a training target, per token of `ids`. */
  mask: Uint8Array;
  /** Tokens before truncation. */
  fullLength: number;
  truncated: boolean;
  trainedTokens: number;
}

export interface EncodedWithText extends EncodedConversation {
  text: string;
  /** [start, end) of each token in `text`, in JavaScript string indices. */
  offsets: Span[];
}

interface TokenizerConfig {
  chat_template?: string | { name: string; template: string }[];
  bos_token?: string | { content: string } | null;
  eos_token?: string | { content: string } | null;
  model_max_length?: number;
}

/**
 * A model's tokenizer and chat template together: conversations in, token ids and loss mask out.
 * Tokenization uses Hugging Face's Rust tokenizers through the `tokenizers` package (the fastest
 * implementation available from npm here; batches run on all cores). A template that came with a
 * model runs in a child process (template-child/), so call `close` when done.
 */
export class ChatTokenizer {
  private constructor(
    private readonly template: TemplateRenderer,
    private readonly tokenizer: Tokenizer,
    /** model_max_length from tokenizer_config.json, when it is a real limit. */
    readonly contextLength: number | null,
  ) {}

  static async load({ modelDir, compileTemplate, isolation = {} }: LoadChatTokenizerOptions): Promise<ChatTokenizer> {
    const tokenizerPath = path.join(modelDir, 'tokenizer.json');
    let tokenizerJson: { added_tokens?: { content: string; special?: boolean }[] };
    let config: TokenizerConfig;
    try {
      tokenizerJson = JSON.parse(await readFile(tokenizerPath, 'utf8'));
      config = JSON.parse(await readFile(path.join(modelDir, 'tokenizer_config.json'), 'utf8'));
    } catch (error) {
      throw new DatasetError('model_files_missing', `Cannot read the model's tokenizer files in ${modelDir}: ${(error as Error).message}`);
    }
    const template = await readChatTemplate(modelDir, config);
    const tokenizer = Tokenizer.fromFile(tokenizerPath);
    const specialTokens = (tokenizerJson.added_tokens ?? []).filter((token) => token.special).map((token) => token.content);
    const options: ChatTemplateOptions = { template, bosToken: tokenText(config.bos_token), eosToken: tokenText(config.eos_token), specialTokens, compile: compileTemplate };
    const renderer = isolation === 'in-process' ? inProcess(new ChatTemplate(options)) : await IsolatedChatTemplate.start(options, isolation.limits);
    const maxLength = config.model_max_length;
    const contextLength = typeof maxLength === 'number' && maxLength > 0 && maxLength < 1e9 ? maxLength : null;
    return new ChatTokenizer(renderer, tokenizer, contextLength);
  }

  /** Each conversation's text and trained spans; a TemplateRenderError names the failing one by index. */
  render(conversations: readonly Conversation[]): Promise<RenderedConversation[]> {
    return this.template.render(conversations);
  }

  /** The conversation followed by the template's generation prompt: what a model sees at inference. */
  renderPrompt(conversation: Conversation): Promise<string> {
    return this.template.renderPrompt(conversation);
  }

  /** Renders and tokenizes a batch; the tokenizer spreads the batch over all cores. */
  async encodeBatch(conversations: readonly Conversation[], maxLength: number): Promise<EncodedConversation[]> {
    const rendered = await this.template.render(conversations);
    const encodings = await this.tokenizer.encodeBatch(
      rendered.map((r) => r.text),
      { addSpecialTokens: false },
    );
    return encodings.map((encoding, i) => toEncoded(encoding, rendered[i]!.text, rendered[i]!.trainedSpans, maxLength));
  }

  /** One conversation with the text and each token's offsets, for previews. */
  async encodeWithText(conversation: Conversation, maxLength: number): Promise<EncodedWithText> {
    const [{ text, trainedSpans }] = (await this.template.render([conversation])) as [RenderedConversation];
    const encoding = await this.tokenizer.encode(text, null, { addSpecialTokens: false });
    const encoded = toEncoded(encoding, text, trainedSpans, maxLength);
    const toIndex = codePointToIndex(text);
    const offsets = encoding
      .getOffsets()
      .slice(0, encoded.ids.length)
      .map(([start, end]): Span => [toIndex(start!), toIndex(end!)]);
    return { ...encoded, text, offsets };
  }

  async countTokens(conversation: Conversation): Promise<number> {
    const [{ text }] = (await this.template.render([conversation])) as [RenderedConversation];
    return (await this.tokenizer.encode(text, null, { addSpecialTokens: false })).getLength();
  }

  async decode(ids: number[]): Promise<string> {
    return this.tokenizer.decode(ids, false);
  }

  /** Gives the template's child process back; the tokenizer is unusable after. */
  close(): Promise<void> {
    return this.template.close();
  }
}

function inProcess(template: ChatTemplate): TemplateRenderer {
  return {
    async render(conversations) {
      return conversations.map((conversation, index) => {
        try {
          return template.render(conversation);
        } catch (error) {
          if (error instanceof DatasetError) throw new TemplateRenderError(error.code, error.message, index);
          throw error;
        }
      });
    },
    async renderPrompt(conversation) {
      return template.renderPrompt(conversation);
    },
    async close() {},
  };
}

/** A token counter for validateDataset's `too_long` check, with the model's template and tokenizer; `close` ends it. */
export async function createTokenCounter({ modelDir }: { modelDir: string }): Promise<TokenCounter & { close: () => Promise<void> }> {
  const chatTokenizer = await ChatTokenizer.load({ modelDir });
  return Object.assign((conversation: Conversation) => chatTokenizer.countTokens(conversation), { close: () => chatTokenizer.close() });
}

async function readChatTemplate(modelDir: string, config: TokenizerConfig): Promise<string> {
  const fromFile = await readFile(path.join(modelDir, 'chat_template.jinja'), 'utf8').catch(() => null);
  if (fromFile !== null) return fromFile;
  const template = config.chat_template;
  if (typeof template === 'string') return template;
  if (Array.isArray(template)) {
    const chosen = template.find((t) => t.name === 'default') ?? template[0];
    if (chosen) return chosen.template;
  }
  throw new DatasetError('missing_chat_template', `The model in ${modelDir} has no chat template (tokenizer_config.json chat_template or chat_template.jinja).`);
}

function tokenText(token: TokenizerConfig['bos_token']): string {
  if (typeof token === 'string') return token;
  return token?.content ?? '';
}

function toEncoded(encoding: Encoding, text: string, spans: readonly Span[], maxLength: number): EncodedConversation {
  const allIds = encoding.getIds();
  const fullLength = allIds.length;
  const truncated = fullLength > maxLength;
  const ids = truncated ? allIds.slice(0, maxLength) : allIds;
  const mask = new Uint8Array(ids.length);
  const toCodePoint = indexToCodePoint(text);
  let trainedTokens = 0;
  for (const [start, end] of spans) {
    const range = tokenRange(encoding, toCodePoint(start), toCodePoint(end));
    if (!range) continue;
    const last = Math.min(range[1], ids.length - 1);
    for (let t = range[0]; t <= last; t++) {
      if (mask[t] === 0) trainedTokens++;
      mask[t] = 1;
    }
  }
  return { ids, mask, fullLength, truncated, trainedTokens };
}

/**
 * First and last token overlapping the code-point range [start, end). Offsets of whitespace may be
 * trimmed away (ByteLevel trim_offsets), so the ends walk inwards to the nearest mapped character.
 */
function tokenRange(encoding: Encoding, start: number, end: number): [number, number] | null {
  let first: number | null = null;
  for (let p = start; p < end && first === null; p++) first = encoding.charToToken(p);
  if (first === null) return null;
  let last: number | null = null;
  for (let p = end - 1; p >= start && last === null; p--) last = encoding.charToToken(p);
  return [first, last ?? first];
}

const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * The tokenizer counts offsets in Unicode code points, JavaScript in UTF-16 units: they differ
 * after each character outside the Basic Multilingual Plane (emoji, say).
 */
function indexToCodePoint(text: string): (index: number) => number {
  if (!SURROGATE.test(text)) return (index) => index;
  return (index) => {
    let pairs = 0;
    for (let i = 0; i < index - 1; i++) {
      const code = text.charCodeAt(i);
      if (code >= 0xd800 && code <= 0xdbff) {
        pairs++;
        i++;
      }
    }
    return index - pairs;
  };
}

function codePointToIndex(text: string): (codePoint: number) => number {
  if (!SURROGATE.test(text)) return (codePoint) => codePoint;
  const indices: number[] = [];
  for (let i = 0; i < text.length; i++) {
    indices.push(i);
    const code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff) i++;
  }
  indices.push(text.length);
  return (codePoint) => indices[Math.min(codePoint, indices.length - 1)]!;
}
