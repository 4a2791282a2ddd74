import { finding, type Finding } from '@/lib/universal/dataset-report';
import {
  CHAT_ROLES,
  FORMAT_KEYS,
  PREFERENCE_OUTPUTS,
  contentText,
  detectFormat,
  isJsonObject,
  type DatasetFormat,
  type JsonObject,
} from './formats';

export interface CheckExampleOptions {
  /** The parsed JSON value of the line. */
  value: unknown;
  line: number;
  /** The format of the file so far: the first line with a recognizable format sets it. */
  fileFormat: DatasetFormat | null;
}

export interface CheckedExample {
  /** The format this line is in, when it has one; null when it could not be told. */
  format: DatasetFormat | null;
  findings: Finding[];
}

/**
 * Values that reach the chat template (tool definitions, tool-call arguments) are walked
 * recursively there, so their depth is bounded here, as JSON parsers in other languages do.
 */
export const MAX_NESTING = 64;
export const MAX_FINDINGS_PER_LINE = 1000;
/** Stops at the first visible character, where trim() would copy the string. */
const NON_SPACE = /\S/;
const MESSAGE_KEYS = new Set(['role', 'content', 'weight', 'name', 'tool_calls', 'tool_call_id']);
const ROLES = new Set<string>(CHAT_ROLES);
const MISSING_KEY_CODES = {
  chat: ['missing_messages'],
  prompt_completion: ['missing_prompt', 'missing_completion'],
  alpaca: ['missing_instruction', 'missing_output'],
  preference: ['missing_preference_input', 'missing_preference_output'],
} as const;
const MISSING_KEY_FIELDS: Record<string, string> = { missing_preference_input: 'input', missing_preference_output: 'preferred_output' };

/** Checks one parsed line against the rules of its format. Never throws on content. */
export function checkExample({ value, line, fileFormat }: CheckExampleOptions): CheckedExample {
  const findings: Finding[] = [];
  if (!isJsonObject(value)) {
    const kind = Array.isArray(value) ? 'a list' : value === null ? 'null' : `a ${typeof value}`;
    findings.push(finding(line, 'not_an_object', `Each line must be a JSON object; this one is ${kind}.`));
    return { format: null, findings };
  }
  const format = detectFormat(value);
  if (format === null) {
    if (fileFormat === null) {
      findings.push(
        finding(line, 'unknown_format', 'The object has none of the keys "messages", "prompt"/"completion" or "instruction"/"output", or "input"/"preferred_output"/"non_preferred_output".'),
      );
    } else {
      for (const code of MISSING_KEY_CODES[fileFormat]) {
        const key = MISSING_KEY_FIELDS[code] ?? code.slice('missing_'.length);
        findings.push(finding(line, code, `The file is in ${fileFormat} format, but this line has no "${key}".`, key));
      }
    }
    return { format: null, findings };
  }
  if (fileFormat !== null && format !== fileFormat) {
    findings.push(
      finding(
        line,
        'mixed_formats',
        `The file is in ${fileFormat} format, but this line is in ${format} format; use one format per file.`,
        FORMAT_KEYS[format].find((key) => Object.hasOwn(value, key)) ?? null,
      ),
    );
    return { format, findings };
  }
  for (const key of Object.keys(value)) {
    if (findings.length >= MAX_FINDINGS_PER_LINE) break;
    if (!FORMAT_KEYS[format].includes(key)) {
      findings.push(finding(line, 'unrecognized_key', `The key "${clip(key)}" is not part of the ${format} format and is ignored.`, clip(key)));
    }
  }
  if (format === 'chat') checkChat(value, line, findings);
  else if (format === 'prompt_completion') checkPromptCompletion(value, line, findings);
  else if (format === 'preference') checkPreference(value, line, findings);
  else checkAlpaca(value, line, findings);
  return { format, findings };
}

function checkTextField(
  example: JsonObject,
  key: string,
  line: number,
  findings: Finding[],
  { required, allowEmpty }: { required: 'missing_prompt' | 'missing_completion' | 'missing_instruction' | 'missing_output' | null; allowEmpty: boolean },
): void {
  if (!Object.hasOwn(example, key) || example[key] === null) {
    if (required) findings.push(finding(line, required, `"${key}" is required.`, key));
    return;
  }
  const text = example[key];
  if (typeof text !== 'string') {
    findings.push(finding(line, 'content_not_string', `"${key}" must be a string, not ${describe(text)}.`, key));
  } else if (!allowEmpty && !NON_SPACE.test(text)) {
    findings.push(finding(line, 'empty_content', `"${key}" is empty.`, key));
  }
}

function checkPromptCompletion(example: JsonObject, line: number, findings: Finding[]): void {
  checkTextField(example, 'prompt', line, findings, { required: 'missing_prompt', allowEmpty: true });
  checkTextField(example, 'completion', line, findings, { required: 'missing_completion', allowEmpty: false });
}

function checkAlpaca(example: JsonObject, line: number, findings: Finding[]): void {
  checkTextField(example, 'instruction', line, findings, { required: 'missing_instruction', allowEmpty: false });
  checkTextField(example, 'input', line, findings, { required: null, allowEmpty: true });
  checkTextField(example, 'output', line, findings, { required: 'missing_output', allowEmpty: false });
}

const PREFERENCE_INPUT_KEYS = new Set(['messages', 'tools', 'parallel_tool_calls']);

/**
 * OpenAI's preference format: `input.messages` (the conversation so far) and two outputs, each a
 * list of one assistant message. Each side is then checked as the chat it makes (input + output),
 * with the fields named as they are in the file.
 */
function checkPreference(example: JsonObject, line: number, findings: Finding[]): void {
  const input = example.input;
  let inputOk = true;
  if (!isJsonObject(input) || !Object.hasOwn(input, 'messages')) {
    findings.push(finding(line, 'missing_preference_input', '"input" must be an object with the "messages" that come before the two outputs.', 'input'));
    inputOk = false;
  } else {
    for (const key of Object.keys(input)) {
      if (!PREFERENCE_INPUT_KEYS.has(key)) {
        findings.push(finding(line, 'unrecognized_key', `The key "input.${clip(key)}" is not part of the preference format and is ignored.`, `input.${clip(key)}`));
      }
    }
  }
  const outputsOk = PREFERENCE_OUTPUTS.map((key) => checkPreferenceOutput(example, key, line, findings));
  if (!inputOk) return;
  const messages = (input as JsonObject).messages;
  if (!Array.isArray(messages)) {
    findings.push(finding(line, 'messages_not_list', `"input.messages" must be a list, not ${describe(messages)}.`, 'input.messages'));
    return;
  }
  const inputLength = messages.length;
  PREFERENCE_OUTPUTS.forEach((key, side) => {
    if (!outputsOk[side]) return;
    const sideFindings: Finding[] = [];
    const chat: JsonObject = { messages: [...messages, ...(example[key] as unknown[])] };
    if (Object.hasOwn(input as JsonObject, 'tools')) chat.tools = (input as JsonObject).tools;
    checkChat(chat, line, sideFindings);
    for (const found of sideFindings) {
      const index = /^messages\[(\d+)\]/.exec(found.field ?? '');
      const inOutput = index !== null && Number(index[1]) >= inputLength;
      // The input's own findings are the same on both sides: report them once, with the first.
      if (side === 1 && !inOutput) continue;
      const field = found.field === null ? null
        : index === null ? `input.${found.field}`
        : inOutput ? found.field.replace(index[0], `${key}[${Number(index[1]) - inputLength}]`)
        : `input.${found.field}`;
      findings.push({ ...found, field });
    }
  });
}

/** One output: a list of exactly one assistant message with non-empty text. True when it is usable. */
function checkPreferenceOutput(example: JsonObject, key: (typeof PREFERENCE_OUTPUTS)[number], line: number, findings: Finding[]): boolean {
  const output = example[key];
  if (!Object.hasOwn(example, key) || output === null) {
    findings.push(finding(line, 'missing_preference_output', `"${key}" is required: a preference example needs both a preferred and a non-preferred output.`, key));
    return false;
  }
  if (!Array.isArray(output)) {
    findings.push(finding(line, 'invalid_preference_output', `"${key}" must be a list holding one assistant message, not ${describe(output)}.`, key));
    return false;
  }
  if (output.length === 0) {
    findings.push(finding(line, 'empty_preference_output', `"${key}" is an empty list; give it one assistant message.`, key));
    return false;
  }
  const message: unknown = output[0];
  if (output.length > 1 || !isJsonObject(message) || message.role !== 'assistant') {
    findings.push(finding(line, 'invalid_preference_output', `"${key}" must hold exactly one message, with the role "assistant".`, `${key}[0]`));
    return false;
  }
  const text = message.content === null || message.content === undefined ? '' : contentText(message.content);
  if (!Object.hasOwn(message, 'tool_calls') && text !== null && !NON_SPACE.test(text)) {
    findings.push(finding(line, 'empty_preference_output', `The content of "${key}" is empty; both outputs need text to compare.`, `${key}[0].content`));
    return false;
  }
  return true;
}

/** Keys and values quoted in findings come from the file: keep them short. */
function clip(text: string): string {
  return text.length <= 60 ? text : `${text.slice(0, 60)}…`;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function checkChat(example: JsonObject, line: number, findings: Finding[]): void {
  if (Object.hasOwn(example, 'tools')) checkTools(example.tools, line, findings);
  const messages = example.messages;
  if (!Array.isArray(messages)) {
    findings.push(finding(line, 'messages_not_list', `"messages" must be a list, not ${describe(messages)}.`, 'messages'));
    return;
  }
  if (messages.length === 0) {
    findings.push(finding(line, 'empty_messages', '"messages" is an empty list.', 'messages'));
    return;
  }

  const callIds = new Set<string>();
  let trainedAssistant = false;
  let anyAssistant = false;
  let structureKnown = true;
  const roles: (string | null)[] = [];
  const hasToolCalls: boolean[] = [];

  for (let index = 0; index < messages.length; index++) {
    // A hostile line can hold millions of bad messages: keep the findings of one line bounded.
    if (findings.length >= MAX_FINDINGS_PER_LINE) return;
    const message: unknown = messages[index];
    const at = `messages[${index}]`;
    roles.push(null);
    hasToolCalls.push(false);
    if (!isJsonObject(message)) {
      findings.push(finding(line, 'message_not_object', `Each message must be an object, not ${describe(message)}.`, at));
      structureKnown = false;
      continue;
    }
    for (const key of Object.keys(message)) {
      if (findings.length >= MAX_FINDINGS_PER_LINE) return;
      if (!MESSAGE_KEYS.has(key)) {
        findings.push(
          finding(line, 'unrecognized_message_key', `Messages take role, content, weight, name, tool_calls and tool_call_id; "${clip(key)}" is not one of them.`, `${at}.${clip(key)}`),
        );
      }
    }

    const role = message.role;
    if (!Object.hasOwn(message, 'role') || role === null) {
      findings.push(finding(line, 'missing_role', 'The message has no "role".', `${at}.role`));
      structureKnown = false;
    } else if (typeof role !== 'string' || !ROLES.has(role)) {
      const shown = typeof role === 'string' ? `"${role.slice(0, 40)}"` : describe(role);
      findings.push(finding(line, 'unrecognized_role', `The role ${shown} is not one of system, user, assistant, tool.`, `${at}.role`));
      structureKnown = false;
    } else {
      roles[index] = role;
    }

    // A malformed tool_calls is reported once; the message is still read as a tool-call turn so
    // its null content and the tool results after it do not add findings of their own.
    const makesCalls = role === 'assistant' && Object.hasOwn(message, 'tool_calls');
    if (Object.hasOwn(message, 'tool_calls')) checkToolCalls(message.tool_calls, role, at, line, findings, callIds);
    hasToolCalls[index] = makesCalls;

    const contentOptional = makesCalls;
    if (!Object.hasOwn(message, 'content') || message.content === null) {
      if (!contentOptional) {
        const why = Object.hasOwn(message, 'content') ? 'content is null' : 'the message has no "content"';
        findings.push(finding(line, 'missing_content', `${why[0]!.toUpperCase()}${why.slice(1)}; only an assistant message with tool_calls may omit it.`, `${at}.content`));
      }
    } else {
      const text = contentText(message.content);
      if (text === null) {
        findings.push(
          finding(line, 'content_not_string', `Content must be a string or a list of {"type": "text", "text": ...} parts, not ${describe(message.content)}.`, `${at}.content`),
        );
      } else if (!contentOptional && !NON_SPACE.test(text)) {
        findings.push(finding(line, 'empty_content', 'The content is empty.', `${at}.content`));
      }
    }

    if (Object.hasOwn(message, 'weight')) {
      if (message.weight !== 0 && message.weight !== 1) {
        const shown = typeof message.weight === 'number' ? String(message.weight) : describe(message.weight);
        findings.push(finding(line, 'invalid_weight', `The weight must be 0 or 1, not ${shown}.`, `${at}.weight`));
      } else if (role !== 'assistant') {
        findings.push(finding(line, 'invalid_weight', 'Only assistant messages take a weight.', `${at}.weight`));
      }
    }
    if (role === 'assistant') {
      anyAssistant = true;
      if (message.weight !== 0) trainedAssistant = true;
    }

    if (Object.hasOwn(message, 'name') && (typeof message.name !== 'string' || message.name.trim() === '')) {
      findings.push(finding(line, 'invalid_name', 'The name must be a non-empty string.', `${at}.name`));
    }

    if (role === 'tool') {
      const id = message.tool_call_id;
      if (typeof id !== 'string' || id === '') {
        findings.push(finding(line, 'missing_tool_call_id', 'A tool message needs the "tool_call_id" of the call it answers.', `${at}.tool_call_id`));
      } else if (!callIds.has(id)) {
        findings.push(finding(line, 'unknown_tool_call_id', `No earlier assistant message made a tool call with id "${id.slice(0, 60)}".`, `${at}.tool_call_id`));
      }
    } else if (Object.hasOwn(message, 'tool_call_id')) {
      findings.push(finding(line, 'unrecognized_message_key', '"tool_call_id" belongs on tool messages only.', `${at}.tool_call_id`));
    }
  }

  if (!anyAssistant || !trainedAssistant) {
    if (structureKnown || anyAssistant) {
      const message = anyAssistant
        ? 'Every assistant message has weight 0, so there is nothing to train on.'
        : 'The conversation has no assistant message, so there is nothing to train on.';
      findings.push(finding(line, 'no_assistant_message', message, 'messages'));
    }
  }
  const first = roles[0];
  if (first !== null && first !== undefined && first !== 'system' && first !== 'user') {
    findings.push(finding(line, 'bad_first_role', `A conversation must start with a system or user message, not ${first}.`, 'messages[0].role'));
  }
  if (structureKnown) checkAlternation(roles as string[], hasToolCalls, line, findings);
}

function checkAlternation(roles: string[], hasToolCalls: boolean[], line: number, findings: Finding[]): void {
  let previous: string | null = null;
  for (let index = 0; index < roles.length; index++) {
    const role = roles[index]!;
    let problem: string | null = null;
    if (role === 'system') {
      if (index > 0) problem = 'a system message appears after the start of the conversation';
    } else if (previous !== null && previous !== 'system') {
      const afterCalls = previous === 'assistant' && hasToolCalls[index - 1];
      if (afterCalls && role !== 'tool') problem = 'an assistant tool call is not followed by its tool results';
      else if (role === 'tool' && !afterCalls && previous !== 'tool') problem = 'a tool message does not follow an assistant tool call';
      else if (role === 'user' && previous === 'user') problem = 'two user messages follow each other';
      else if (role === 'assistant' && previous === 'assistant' && !afterCalls) problem = 'two assistant messages follow each other';
    }
    if (problem) {
      findings.push(finding(line, 'not_alternating', `User and assistant turns should alternate: ${problem}.`, `messages[${index}].role`));
      return;
    }
    previous = role;
  }
}

function checkToolCalls(toolCalls: unknown, role: unknown, at: string, line: number, findings: Finding[], callIds: Set<string>): void {
  if (role !== 'assistant') {
    findings.push(finding(line, 'invalid_tool_calls', 'Only assistant messages make tool calls.', `${at}.tool_calls`));
    return;
  }
  if (!Array.isArray(toolCalls) || toolCalls.length === 0) {
    findings.push(finding(line, 'invalid_tool_calls', '"tool_calls" must be a non-empty list.', `${at}.tool_calls`));
    return;
  }
  toolCalls.slice(0, MAX_FINDINGS_PER_LINE).forEach((call: unknown, index) => {
    const path = `${at}.tool_calls[${index}]`;
    const bad = (field: string, message: string) => {
      findings.push(finding(line, 'invalid_tool_call', message, field));
    };
    if (!isJsonObject(call)) return bad(path, `A tool call must be an object, not ${describe(call)}.`);
    if (typeof call.id !== 'string' || call.id === '') bad(`${path}.id`, 'A tool call needs a non-empty string "id".');
    else callIds.add(call.id);
    if (Object.hasOwn(call, 'type') && call.type !== 'function') bad(`${path}.type`, 'The tool call type must be "function".');
    const fn = call.function;
    if (!isJsonObject(fn)) return bad(`${path}.function`, 'A tool call needs a "function" object with "name" and "arguments".');
    if (typeof fn.name !== 'string' || fn.name === '') bad(`${path}.function.name`, 'The function name must be a non-empty string.');
    if (typeof fn.arguments !== 'string') {
      return bad(`${path}.function.arguments`, `"arguments" must be a string holding JSON, not ${describe(fn.arguments)}.`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(fn.arguments);
    } catch {
      findings.push(finding(line, 'invalid_tool_arguments', '"arguments" is not valid JSON.', `${path}.function.arguments`));
      return;
    }
    if (!isJsonObject(parsed)) {
      findings.push(finding(line, 'invalid_tool_arguments', `"arguments" must encode a JSON object, not ${describe(parsed)}.`, `${path}.function.arguments`));
    } else if (nestedDeeperThan(parsed, MAX_NESTING)) {
      findings.push(finding(line, 'nesting_too_deep', `"arguments" nests deeper than ${MAX_NESTING} levels.`, `${path}.function.arguments`));
    }
  });
}

function checkTools(tools: unknown, line: number, findings: Finding[]): void {
  if (!Array.isArray(tools)) {
    findings.push(finding(line, 'invalid_tools', `"tools" must be a list, not ${describe(tools)}.`, 'tools'));
    return;
  }
  tools.slice(0, MAX_FINDINGS_PER_LINE).forEach((tool: unknown, index) => {
    const at = `tools[${index}]`;
    if (nestedDeeperThan(tool, MAX_NESTING)) {
      findings.push(finding(line, 'nesting_too_deep', `The tool definition nests deeper than ${MAX_NESTING} levels.`, at));
    } else if (!isJsonObject(tool) || tool.type !== 'function' || !isJsonObject(tool.function)) {
      findings.push(finding(line, 'invalid_tools', 'Each tool must be {"type": "function", "function": {"name": ..., "parameters": ...}}.', at));
    } else if (typeof tool.function.name !== 'string' || tool.function.name === '') {
      findings.push(finding(line, 'invalid_tools', 'The tool function needs a non-empty string "name".', `${at}.function.name`));
    } else if (Object.hasOwn(tool.function, 'parameters') && !isJsonObject(tool.function.parameters)) {
      findings.push(finding(line, 'invalid_tools', '"parameters" must be a JSON Schema object.', `${at}.function.parameters`));
    }
  });
}

/** Iterative, so a hostile depth cannot overflow the stack here. */
function nestedDeeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    if (depth > limit) return true;
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}
