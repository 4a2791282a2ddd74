import { Template } from '@huggingface/jinja';
import { DatasetError } from './dataset-error';
import type { ChatMessage, Conversation } from './formats';

/** A character range [start, end) of the rendered text, in JavaScript string indices. */
export type Span = readonly [number, number];

export interface RenderedConversation {
  text: string;
  /** The ranges the model is trained on: each assistant message with weight 1, with its end-of-turn token. */
  trainedSpans: Span[];
}

export interface ChatTemplateOptions {
  template: string;
  bosToken: string;
  eosToken: string;
  /** The tokenizer's special tokens; a trained span stops after one when only whitespace follows it. */
  specialTokens: readonly string[];
  /** Turn off the compiled fast path (tests compare both paths). */
  compile?: boolean;
}

interface CompiledShape {
  /** Text between contents: literals[i] precedes message i's content; the last follows the final one. */
  literals: string[];
  trim: boolean;
  spans: { start: Anchor; end: Anchor }[];
}
/** A position inside literal `literal` of a compiled shape. */
interface Anchor {
  literal: number;
  offset: number;
}

const MAX_SHAPES = 4096;

/**
 * Renders conversations with a model's Jinja chat template and finds the characters to train on.
 *
 * The trained span of assistant message i is what the template adds between the conversation up
 * to i rendered with the generation prompt and the conversation up to and including i: exactly
 * what the model must produce at inference, end-of-turn token included. That takes 2 renders per
 * assistant message, and @huggingface/jinja costs tens of microseconds per render, so each
 * distinct conversation shape (roles and weights) is rendered once with placeholder contents and,
 * when the template proves to insert contents verbatim (or trimmed) between fixed literals, later
 * conversations of that shape are assembled by concatenation. Conversations the probe cannot
 * vouch for (tool calls, names, contents containing template literals) take the rendering path.
 */
export class ChatTemplate {
  private readonly template: Template;
  private readonly shapes = new Map<string, CompiledShape | null>();
  private readonly guardLiterals: string[];
  private readonly specialTokens: string[];

  constructor(private readonly options: ChatTemplateOptions) {
    try {
      this.template = new Template(options.template);
    } catch (error) {
      throw new DatasetError('template_error', `The chat template does not parse: ${(error as Error).message}`);
    }
    this.specialTokens = [...options.specialTokens].filter((token) => token.length > 0).sort((a, b) => b.length - a.length);
    this.guardLiterals = collectStringLiterals(this.template.parsed)
      .map((literal) => literal.trim())
      .filter((literal) => literal.length >= 2 && /[^A-Za-z0-9_ ]/.test(literal));
  }

  /** Renders the whole conversation (no generation prompt) and its trained spans. */
  render(conversation: Conversation): RenderedConversation {
    if (this.options.compile !== false) {
      const fast = this.renderCompiled(conversation);
      if (fast) return fast;
    }
    return this.renderInterpreted(conversation);
  }

  /** The prompt for inference: the conversation followed by the generation prompt. */
  renderPrompt(conversation: Conversation): string {
    return this.renderRaw(conversation.messages, conversation.tools, true);
  }

  private renderRaw(messages: readonly ChatMessage[], tools: unknown[] | undefined, addGenerationPrompt: boolean): string {
    const context: Record<string, unknown> = {
      messages: messages.map(templateMessage),
      bos_token: this.options.bosToken,
      eos_token: this.options.eosToken,
      add_generation_prompt: addGenerationPrompt,
    };
    if (tools) context.tools = tools;
    try {
      return this.template.render(context);
    } catch (error) {
      throw new DatasetError('template_error', `The chat template failed on this conversation: ${(error as Error).message}`);
    }
  }

  private renderInterpreted({ messages, tools }: Conversation): RenderedConversation {
    const text = this.renderRaw(messages, tools, false);
    const trainedSpans: Span[] = [];
    let cursor = 0;
    messages.forEach((message, index) => {
      if (message.role !== 'assistant' || message.weight === 0) return;
      const span = this.prefixSpan(messages, tools, index, text) ?? this.searchSpan(message, text, cursor);
      if (!span) {
        throw new DatasetError('template_error', `Cannot find assistant message ${index} in the rendered conversation; the chat template changes it beyond recognition.`);
      }
      trainedSpans.push(span);
      cursor = span[1];
    });
    return { text, trainedSpans };
  }

  /**
   * The span of message `index` by diffing prefix renders. When the template renders a turn
   * differently once later turns follow (reasoning templates drop earlier thoughts), the span runs
   * from the prompt to the first special token after it. Null when the prompt is not a prefix.
   */
  private prefixSpan(messages: readonly ChatMessage[], tools: unknown[] | undefined, index: number, full: string): Span | null {
    const prompt = this.renderRaw(messages.slice(0, index), tools, true);
    if (!full.startsWith(prompt)) return null;
    const through = this.renderRaw(messages.slice(0, index + 1), tools, false);
    if (through.length > prompt.length && through.startsWith(prompt) && full.startsWith(through)) {
      return [prompt.length, this.trimAfterSpecialToken(through, prompt.length, through.length)];
    }
    let end = -1;
    for (const token of this.specialTokens) {
      const at = full.indexOf(token, prompt.length);
      if (at !== -1 && (end === -1 || at + token.length < end)) end = at + token.length;
    }
    return end > prompt.length ? [prompt.length, end] : null;
  }

  /** Fallback for templates that render earlier turns differently once later turns exist. */
  private searchSpan(message: ChatMessage, text: string, cursor: number): Span | null {
    for (const content of [message.content ?? '', (message.content ?? '').trim()]) {
      if (content === '') continue;
      const start = text.indexOf(content, cursor);
      if (start === -1) continue;
      let end = start + content.length;
      const special = this.specialTokens.find((token) => text.startsWith(token, end));
      if (special) end += special.length;
      return [start, end];
    }
    return null;
  }

  /** Drops the newline a template puts after an end-of-turn token: the model never generates it. */
  private trimAfterSpecialToken(text: string, start: number, end: number): number {
    let trimmed = end;
    while (trimmed > start && isWhitespace(text.charCodeAt(trimmed - 1))) trimmed--;
    if (trimmed === end) return end;
    return this.specialTokens.some((token) => trimmed - token.length >= start && text.startsWith(token, trimmed - token.length)) ? trimmed : end;
  }

  private renderCompiled(conversation: Conversation): RenderedConversation | null {
    const key = shapeKey(conversation);
    if (key === null) return null;
    for (const message of conversation.messages) {
      const content = message.content!;
      // Placeholders are never empty, so a template that tests for empty content could differ.
      if (content.trim() === '') return null;
      for (const literal of this.guardLiterals) if (content.includes(literal)) return null;
    }
    let shape = this.shapes.get(key);
    if (shape === undefined) {
      shape = this.compileShape(conversation.messages);
      if (this.shapes.size >= MAX_SHAPES) this.shapes.clear();
      this.shapes.set(key, shape);
    }
    if (shape === null) return null;

    const { literals, trim } = shape;
    const starts: number[] = new Array(literals.length);
    let text = '';
    for (let i = 0; i < literals.length; i++) {
      starts[i] = text.length;
      text += literals[i];
      if (i < conversation.messages.length) {
        const content = conversation.messages[i]!.content!;
        text += trim ? content.trim() : content;
      }
    }
    const trainedSpans = shape.spans.map(({ start, end }): Span => [starts[start.literal]! + start.offset, starts[end.literal]! + end.offset]);
    return { text, trainedSpans };
  }

  /** Probes the template with placeholder contents; null when this shape must be rendered each time. */
  private compileShape(messages: readonly ChatMessage[]): CompiledShape | null {
    const nonce = Math.random().toString(36).slice(2, 10);
    const placeholders = (variant: string) => messages.map((_, i) => `LATHE${nonce}${variant}${i}X`);
    const withContents = (contents: string[]) => messages.map((message, i) => ({ ...message, content: contents[i]! }));
    try {
      const a = placeholders('a');
      const textA = this.renderRaw(withContents(a), undefined, false);
      const literals = splitOnPlaceholders(textA, a);
      if (!literals) return null;
      const b = placeholders('bbbbbb');
      const literalsB = splitOnPlaceholders(this.renderRaw(withContents(b), undefined, false), b);
      if (!literalsB || !sameStrings(literals, literalsB)) return null;

      const padded = a.map((p) => ` \n${p}\n `);
      const paddedText = this.renderRaw(withContents(padded), undefined, false);
      const verbatim = splitOnPlaceholders(paddedText, padded);
      let trim: boolean;
      if (verbatim && sameStrings(verbatim, literals)) trim = false;
      else {
        const trimmed = splitOnPlaceholders(paddedText, a);
        if (!trimmed || !sameStrings(trimmed, literals)) return null;
        trim = true;
      }

      const spans: CompiledShape['spans'] = [];
      for (let index = 0; index < messages.length; index++) {
        const message = messages[index]!;
        if (message.role !== 'assistant' || message.weight === 0) continue;
        const span = this.prefixSpan(withContents(a), undefined, index, textA);
        if (!span) return null;
        const start = anchorOf(span[0], literals, a);
        const end = anchorOf(span[1], literals, a);
        if (!start || !end) return null;
        spans.push({ start, end });
      }
      return { literals, trim, spans };
    } catch {
      // A template that fails on placeholders (say, one that inspects contents) is rendered each time.
      return null;
    }
  }
}

function templateMessage(message: ChatMessage): Record<string, unknown> {
  const out: Record<string, unknown> = { role: message.role, content: message.content ?? '' };
  if (message.name !== undefined) out.name = message.name;
  if (message.tool_call_id !== undefined) out.tool_call_id = message.tool_call_id;
  if (message.tool_calls) {
    // Chat templates print arguments with `tojson`, so they expect an object, not OpenAI's JSON string.
    out.tool_calls = message.tool_calls.map((call) => ({
      id: call.id,
      type: 'function',
      function: { name: call.function.name, arguments: parseArguments(call.function.arguments) },
    }));
  }
  return out;
}

function parseArguments(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Roles and weights; null for conversations the compiled path does not cover. */
function shapeKey({ messages, tools }: Conversation): string | null {
  if (tools) return null;
  let key = '';
  for (const message of messages) {
    if (message.content === null || message.tool_calls || message.name !== undefined || message.tool_call_id !== undefined) return null;
    key += message.weight === 0 ? `${message.role}0,` : `${message.role},`;
  }
  return key;
}

/** The literals around each placeholder, which must each occur exactly once and in order. */
function splitOnPlaceholders(text: string, placeholders: string[]): string[] | null {
  const literals: string[] = [];
  let cursor = 0;
  for (const placeholder of placeholders) {
    const at = text.indexOf(placeholder);
    if (at < cursor || text.indexOf(placeholder, at + 1) !== -1) return null;
    literals.push(text.slice(cursor, at));
    cursor = at + placeholder.length;
  }
  literals.push(text.slice(cursor));
  return literals;
}

function anchorOf(position: number, literals: string[], placeholders: string[]): Anchor | null {
  let at = 0;
  for (let i = 0; i < literals.length; i++) {
    const literal = literals[i]!;
    if (position >= at && position <= at + literal.length) return { literal: i, offset: position - at };
    at += literal.length;
    const placeholder = placeholders[i];
    if (placeholder === undefined) break;
    if (position < at + placeholder.length) return null;
    at += placeholder.length;
  }
  return null;
}

function sameStrings(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

function isWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}

function collectStringLiterals(root: unknown): string[] {
  const found: string[] = [];
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const node = stack.pop();
    if (Array.isArray(node)) stack.push(...node);
    else if (node && typeof node === 'object') {
      const record = node as Record<string, unknown>;
      if (record.type === 'StringLiteral' && typeof record.value === 'string') found.push(record.value);
      else for (const value of Object.values(record)) if (value && typeof value === 'object') stack.push(value);
    }
  }
  return found;
}
