import type { DatasetFormat } from '../../../lib/universal/dataset-report';

export type { DatasetFormat };

export const CHAT_ROLES = ['system', 'user', 'assistant', 'tool'] as const;
export type ChatRole = (typeof CHAT_ROLES)[number];

export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface ChatMessage {
  role: ChatRole;
  /** Null only for an assistant message that carries tool calls instead of text. */
  content: string | null;
  /** 0 excludes an assistant message from the loss; absent means 1. */
  weight?: 0 | 1;
  name?: string;
  tool_calls?: ToolCall[];
  tool_call_id?: string;
}

export interface Conversation {
  messages: ChatMessage[];
  tools?: unknown[];
}

export type JsonObject = Record<string, unknown>;

/** The keys each format allows at the top level of an example. */
export const FORMAT_KEYS: Record<DatasetFormat, readonly string[]> = {
  chat: ['messages', 'tools', 'parallel_tool_calls'],
  prompt_completion: ['prompt', 'completion'],
  alpaca: ['instruction', 'input', 'output'],
  preference: ['input', 'preferred_output', 'non_preferred_output'],
};

/** The two output keys of OpenAI's preference format, in the order chosen, rejected. */
export const PREFERENCE_OUTPUTS = ['preferred_output', 'non_preferred_output'] as const;

/** Which format a parsed line claims to be, from the keys it has; null when it has none of them. */
export function detectFormat(example: JsonObject): DatasetFormat | null {
  if (Object.hasOwn(example, 'messages')) return 'chat';
  // Before Alpaca, which has an "input" too (a string there, an object here).
  if (PREFERENCE_OUTPUTS.some((key) => Object.hasOwn(example, key)) || isJsonObject(example.input)) return 'preference';
  if (Object.hasOwn(example, 'prompt') || Object.hasOwn(example, 'completion')) return 'prompt_completion';
  if (Object.hasOwn(example, 'instruction') || Object.hasOwn(example, 'output')) return 'alpaca';
  return null;
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Text of a content field: a string, or OpenAI's list of `{type: "text", text}` parts joined. */
export function contentText(content: unknown): string | null {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return null;
  let text = '';
  for (const part of content) {
    if (!isJsonObject(part) || part.type !== 'text' || typeof part.text !== 'string') return null;
    text += part.text;
  }
  return text;
}

/**
 * Turns an example of any supported format into the chat messages the template renders.
 * Expects an example that passed `checkExample`; prompt/completion becomes one user and one
 * assistant turn, Alpaca joins instruction and input into the user turn.
 */
export function toConversation(example: JsonObject, format: DatasetFormat): Conversation {
  if (format === 'preference') return toPreferencePair(example).chosen;
  if (format === 'prompt_completion') {
    return {
      messages: [
        { role: 'user', content: String(example.prompt ?? '') },
        { role: 'assistant', content: String(example.completion) },
      ],
    };
  }
  if (format === 'alpaca') {
    const input = typeof example.input === 'string' && example.input.trim() !== '' ? `\n\n${example.input}` : '';
    return {
      messages: [
        { role: 'user', content: `${String(example.instruction)}${input}` },
        { role: 'assistant', content: String(example.output) },
      ],
    };
  }
  return chatConversation(example.messages as JsonObject[], example.tools);
}

/**
 * A preference example as two conversations that share the input: the input followed by the
 * preferred output (chosen) and by the non-preferred one (rejected). Expects a checked example.
 */
export function toPreferencePair(example: JsonObject): { chosen: Conversation; rejected: Conversation } {
  const input = example.input as JsonObject;
  const messages = input.messages as JsonObject[];
  // Earlier assistant turns of the input are context: a pair compares its two outputs only.
  const context = messages.map((message) => (message.role === 'assistant' ? { ...message, weight: 0 } : message));
  const side = (key: (typeof PREFERENCE_OUTPUTS)[number]) =>
    chatConversation([...context, ...(example[key] as JsonObject[])], input.tools);
  return { chosen: side('preferred_output'), rejected: side('non_preferred_output') };
}

function chatConversation(rawMessages: JsonObject[], tools: unknown): Conversation {
  const messages = rawMessages.map((raw): ChatMessage => {
    const message: ChatMessage = { role: raw.role as ChatRole, content: contentText(raw.content) };
    if (raw.weight === 0 || raw.weight === 1) message.weight = raw.weight;
    if (typeof raw.name === 'string') message.name = raw.name;
    if (Array.isArray(raw.tool_calls)) message.tool_calls = raw.tool_calls as ToolCall[];
    if (typeof raw.tool_call_id === 'string') message.tool_call_id = raw.tool_call_id;
    return message;
  });
  const conversation: Conversation = { messages };
  if (Array.isArray(tools)) conversation.tools = tools;
  return conversation;
}
