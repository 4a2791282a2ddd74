import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync, truncateSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Tokenizer } from 'tokenizers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatLines } from '../../../tests/fixtures/datasets/generate-chat';
import { ChatTemplate } from './chat-template';
import { ChatTokenizer, createTokenCounter } from './chat-tokenizer';
import { DatasetError } from './dataset-error';
import { toConversation, type ChatMessage, type Conversation } from './formats';
import { LtokWriter, readLtokIndex, readLtokRecord, ltokRecordBytes } from './ltok';
import { previewDataset } from './preview-dataset';
import { tokenizeDataset } from './tokenize-dataset';
import { validateDataset } from './validate-dataset';

const FIXTURES = path.resolve(import.meta.dirname, '../../../tests/fixtures/datasets');
const MODEL = path.join(FIXTURES, 'tokenizer');
const GOOD_CHAT = path.join(FIXTURES, 'good', 'chat.jsonl');
const scratch = mkdtempSync(path.join(tmpdir(), 'lathe-tokenize-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const raw = Tokenizer.fromFile(path.join(MODEL, 'tokenizer.json'));
const encodeIds = async (text: string) => (await raw.encode(text, null, { addSpecialTokens: false })).getIds();

function conversationsOf(file: string): Conversation[] {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => toConversation(JSON.parse(line), 'chat'));
}
function generated(count: number): Conversation[] {
  const lines = chatLines(3);
  return Array.from({ length: count }, () => toConversation(JSON.parse(lines.next().value!), 'chat'));
}

/**
 * The expected ids and mask for ChatML, built without the template or any offsets: each piece of
 * the conversation tokenized on its own (special tokens split the text, so pieces tokenize alone
 * as they do in the whole) with the mask set by hand on assistant content plus <|im_end|>.
 */
async function expectedChatML(messages: ChatMessage[]): Promise<{ ids: number[]; mask: number[] }> {
  const ids: number[] = [];
  const mask: number[] = [];
  const piece = async (text: string, trained: boolean) => {
    if (text === '') return;
    const pieceIds = await encodeIds(text);
    ids.push(...pieceIds);
    mask.push(...pieceIds.map(() => (trained ? 1 : 0)));
  };
  for (const message of messages) {
    await piece(`<|im_start|>${message.role}\n`, false);
    await piece(`${message.content ?? ''}<|im_end|>`, message.role === 'assistant' && message.weight !== 0);
    await piece('\n', false);
  }
  return { ids, mask };
}

describe('loss mask, token by token, on the test tokenizer', () => {
  let tokenizer: ChatTokenizer;
  beforeAll(async () => {
    tokenizer = await ChatTokenizer.load({ modelDir: MODEL });
  });
  afterAll(() => tokenizer.close());

  it('marks exactly the assistant contents and their <|im_end|>, honouring weight 0', async () => {
    const conversations = [...conversationsOf(GOOD_CHAT), ...generated(300)];
    const encoded = await tokenizer.encodeBatch(conversations, 1_000_000);
    let weightZero = 0;
    for (let i = 0; i < conversations.length; i++) {
      const messages = conversations[i]!.messages;
      if (messages.some((m) => m.weight === 0)) weightZero++;
      const expected = await expectedChatML(messages);
      expect(encoded[i]!.ids, `conversation ${i}`).toEqual(expected.ids);
      expect([...encoded[i]!.mask], `conversation ${i}`).toEqual(expected.mask);
      expect(encoded[i]!.trainedTokens).toBe(expected.mask.filter((m) => m === 1).length);
    }
    expect(weightZero).toBeGreaterThan(10);
  });

  it('gives the same text and spans on the compiled and the interpreted path', async () => {
    const interpreted = await ChatTokenizer.load({ modelDir: MODEL, compileTemplate: false });
    const edgeCases: Conversation[] = [
      { messages: [{ role: 'user', content: '' }, { role: 'assistant', content: 'An empty prompt.' }] },
      { messages: [{ role: 'user', content: 'Say <|im_end|> literally.' }, { role: 'assistant', content: 'It is <|im_end|>.' }] },
    ];
    const conversations = [...conversationsOf(GOOD_CHAT), ...generated(100), ...edgeCases];
    expect(await tokenizer.render(conversations)).toEqual(await interpreted.render(conversations));
    await interpreted.close();
  });

  it('truncates to maxLength, keeping the mask of the kept tokens', async () => {
    const [conversation] = generated(1);
    const [full] = await tokenizer.encodeBatch([conversation!], 1_000_000);
    const [cut] = await tokenizer.encodeBatch([conversation!], 40);
    expect(full!.ids.length).toBeGreaterThan(40);
    expect(cut).toMatchObject({ truncated: true, fullLength: full!.ids.length, ids: full!.ids.slice(0, 40) });
    expect([...cut!.mask]).toEqual([...full!.mask.subarray(0, 40)]);
  });
});

describe('other chat templates', () => {
  const specialTokens = ['<|begin_of_text|>', '<|eot_id|>', '<|start_header_id|>', '<|end_header_id|>', '</s>', '<s>'];
  const trainedTexts = (template: ChatTemplate, conversation: Conversation) => {
    const { text, trainedSpans } = template.render(conversation);
    return trainedSpans.map(([start, end]) => text.slice(start, end));
  };
  const conversation: Conversation = {
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: ' What is 2+2? ' },
      { role: 'assistant', content: ' 4. ' },
      { role: 'user', content: 'And 3+3?' },
      { role: 'assistant', content: '6.', weight: 0 },
      { role: 'user', content: 'And 4+4?' },
      { role: 'assistant', content: '8.' },
    ],
  };

  it('Llama 3 style: bos token, header tokens, trimmed contents', () => {
    const template =
      "{{ bos_token }}{% for message in messages %}{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}{% endfor %}" +
      "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";
    for (const compile of [true, false]) {
      const chat = new ChatTemplate({ template, bosToken: '<|begin_of_text|>', eosToken: '<|eot_id|>', specialTokens, compile });
      expect(trainedTexts(chat, conversation)).toEqual(['4.<|eot_id|>', '8.<|eot_id|>']);
      expect(chat.render(conversation).text.startsWith('<|begin_of_text|><|start_header_id|>system')).toBe(true);
    }
  });

  it('Mistral style: [INST] turns, a system prompt folded into the first user turn, raise_exception', () => {
    const template =
      "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'system' %}{% set system = message['content'] + '\\n\\n' %}{% elif message['role'] == 'user' %}" +
      "{{ '[INST] ' + (system if system is defined and loop.index0 == 1 else '') + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' ' + message['content'] + eos_token }}" +
      "{% else %}{{ raise_exception('Only user, assistant and system roles are supported!') }}{% endif %}{% endfor %}";
    const chat = new ChatTemplate({ template, bosToken: '<s>', eosToken: '</s>', specialTokens });
    expect(trainedTexts(chat, conversation)).toEqual(['  4. </s>', ' 8.</s>']);
    const withTool: Conversation = { messages: [...conversation.messages, { role: 'tool', content: 'x', tool_call_id: 'a' }] };
    expect(() => chat.render(withTool)).toThrow(DatasetError);
    expect(() => chat.render(withTool)).toThrow(/Only user, assistant and system roles/);
  });

  it('a template that rewrites earlier assistant turns falls back to finding the content', () => {
    // Like reasoning models' templates: reasoning is dropped from every assistant turn but the last.
    const template =
      "{% for message in messages %}{% set content = message['content'] %}{% if message['role'] == 'assistant' and not loop.last and '</think>' in content %}" +
      "{% set content = content.split('</think>')[-1] %}{% endif %}{{ '<|im_start|>' + message['role'] + '\\n' + content + '<|im_end|>\\n' }}{% endfor %}" +
      "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
    const chat = new ChatTemplate({ template, bosToken: '', eosToken: '<|im_end|>', specialTokens: ['<|im_start|>', '<|im_end|>'] });
    const thinking: Conversation = {
      messages: [
        { role: 'user', content: 'Q1' },
        { role: 'assistant', content: '<think>hmm</think>A1' },
        { role: 'user', content: 'Q2' },
        { role: 'assistant', content: '<think>so</think>A2' },
      ],
    };
    expect(trainedTexts(chat, thinking)).toEqual(['A1<|im_end|>', '<think>so</think>A2<|im_end|>']);
  });

  it('a template without the assistant content is an error, not a silent empty mask', () => {
    const template = "{% for message in messages %}{% if message['role'] != 'assistant' %}{{ message['content'] }}{% endif %}{% endfor %}";
    const chat = new ChatTemplate({ template, bosToken: '', eosToken: '', specialTokens: [] });
    expect(() => chat.render(conversation)).toThrow(/Cannot find assistant message 2/);
  });
});

describe('tokenizeDataset', () => {
  it('writes a .ltok that reads back as the encoded conversations, with stats', async () => {
    const output = path.join(scratch, 'chat.ltok');
    const progress: number[] = [];
    const stats = await tokenizeDataset({ input: GOOD_CHAT, modelDir: MODEL, output, maxLength: 4096, batchSize: 5, onProgress: (p) => progress.push(p.examples) });
    const tokenizer = await ChatTokenizer.load({ modelDir: MODEL });
    const encoded = await tokenizer.encodeBatch(conversationsOf(GOOD_CHAT), 4096);
    await tokenizer.close();
    const index = await readLtokIndex(output);
    expect(index.records).toBe(12);
    for (let i = 0; i < 12; i++) {
      const record = await readLtokRecord(output, index.offsets[i]!);
      expect([...record.ids]).toEqual(encoded[i]!.ids);
      expect([...record.mask]).toEqual([...encoded[i]!.mask]);
    }
    expect(stats.train).toMatchObject({
      examples: 12,
      totalTokens: encoded.reduce((sum, e) => sum + e.ids.length, 0),
      trainedTokens: encoded.reduce((sum, e) => sum + e.trainedTokens, 0),
      truncated: 0,
      droppedEmpty: 0,
    });
    expect(stats.train.histogram.reduce((sum, b) => sum + b.count, 0)).toBe(12);
    expect(stats.validation).toBeNull();
    expect(progress.at(-1)).toBe(12);
    expect(index.bytes).toBe(16 + encoded.reduce((sum, e) => sum + ltokRecordBytes(e.ids.length), 0));
  });

  it('tokenizes prompt/completion and Alpaca files as one user and one assistant turn', async () => {
    for (const file of ['prompt-completion.jsonl', 'alpaca.jsonl']) {
      const output = path.join(scratch, `${file}.ltok`);
      const stats = await tokenizeDataset({ input: path.join(FIXTURES, 'good', file), modelDir: MODEL, output, maxLength: 4096 });
      expect(stats.train.examples).toBe(12);
      const first = await readLtokRecord(output, 16);
      const expected = await expectedChatML(toConversation(JSON.parse(readFileSync(path.join(FIXTURES, 'good', file), 'utf8').split('\n')[0]!), file === 'alpaca.jsonl' ? 'alpaca' : 'prompt_completion').messages);
      expect([...first.ids]).toEqual(expected.ids);
      expect([...first.mask]).toEqual(expected.mask);
    }
  });

  it('splits off an exact, seeded validation share', async () => {
    const input = path.join(scratch, 'forty.jsonl');
    const lines = chatLines(5);
    writeFileSync(input, `${Array.from({ length: 40 }, () => lines.next().value!).join('\n')}\n`);
    const run = async (seed: number) => {
      const output = path.join(scratch, `train-${seed}.ltok`);
      const validOutput = path.join(scratch, `valid-${seed}.ltok`);
      const stats = await tokenizeDataset({ input, modelDir: MODEL, output, validOutput, validationSplit: { percent: 25, seed }, maxLength: 4096 });
      const lengths = async (file: string) => (await readLtokIndex(file)).lengths;
      return { stats, train: await lengths(output), valid: await lengths(validOutput) };
    };
    const a = await run(1);
    const again = await run(1);
    const b = await run(2);
    expect(a.stats.train.examples).toBe(30);
    expect(a.stats.validation!.examples).toBe(10);
    expect(again.valid).toEqual(a.valid);
    expect(b.valid).not.toEqual(a.valid);
    expect([...a.train, ...a.valid].sort()).toEqual([...b.train, ...b.valid].sort());
  });

  it('counts truncations and drops examples truncation leaves with nothing to train', async () => {
    const input = path.join(scratch, 'long.jsonl');
    const long = { messages: [{ role: 'user', content: 'word '.repeat(200) }, { role: 'assistant', content: 'ok' }] };
    const fits = { messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'word '.repeat(200) }] };
    writeFileSync(input, `${JSON.stringify(long)}\n${JSON.stringify(fits)}\n`);
    const stats = await tokenizeDataset({ input, modelDir: MODEL, output: path.join(scratch, 'long.ltok'), maxLength: 64 });
    expect(stats.train).toMatchObject({ examples: 1, truncated: 2, droppedEmpty: 1, totalTokens: 64 });
    expect(stats.train.maxExampleTokens).toBeGreaterThan(200);
  });

  it('refuses a file with an error, names the line, and publishes nothing', async () => {
    const output = path.join(scratch, 'bad', 'out.ltok');
    rmSync(path.dirname(output), { recursive: true, force: true });
    const { mkdirSync } = await import('node:fs');
    mkdirSync(path.dirname(output));
    const input = path.join(FIXTURES, 'bad', 'invalid_json.jsonl');
    const error = await tokenizeDataset({ input, modelDir: MODEL, output, maxLength: 512, batchSize: 2 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetError);
    expect(error).toMatchObject({ code: 'invalid_example', line: 7 });
    expect((error as Error).message).toContain('invalid_json');
    expect(readdirSync(path.dirname(output))).toEqual([]);
  });

  it('reports a template failure with the line of the conversation', async () => {
    const modelDir = path.join(scratch, 'strict-model');
    const { mkdirSync, copyFileSync } = await import('node:fs');
    mkdirSync(modelDir, { recursive: true });
    copyFileSync(path.join(MODEL, 'tokenizer.json'), path.join(modelDir, 'tokenizer.json'));
    const config = JSON.parse(readFileSync(path.join(MODEL, 'tokenizer_config.json'), 'utf8'));
    config.chat_template = "{% for m in messages %}{% if m['role'] == 'tool' %}{{ raise_exception('no tools') }}{% endif %}{{ m['role'] + ': ' + m['content'] + '\\n' }}{% endfor %}";
    writeFileSync(path.join(modelDir, 'tokenizer_config.json'), JSON.stringify(config));
    const error = await tokenizeDataset({ input: GOOD_CHAT, modelDir, output: path.join(scratch, 'strict.ltok'), maxLength: 512, batchSize: 4 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'template_error', line: 10 });
    expect(existsSync(path.join(scratch, 'strict.ltok'))).toBe(false);
  });

  it('needs a file for a validation split, and says why the model folder is unusable', async () => {
    const { Readable } = await import('node:stream');
    await expect(
      tokenizeDataset({ input: Readable.from([]), modelDir: MODEL, output: path.join(scratch, 'x.ltok'), validOutput: path.join(scratch, 'y.ltok'), validationSplit: { percent: 10, seed: 1 }, maxLength: 8 }),
    ).rejects.toMatchObject({ code: 'split_needs_file' });
    await expect(tokenizeDataset({ input: GOOD_CHAT, modelDir: scratch, output: path.join(scratch, 'x.ltok'), maxLength: 8 })).rejects.toMatchObject({
      code: 'model_files_missing',
    });
  });
});

describe('.ltok files', () => {
  it('round-trips records with the padding the format asks for', async () => {
    const file = path.join(scratch, 'round.ltok');
    const writer = await LtokWriter.create(file);
    const records = [1, 2, 3, 4, 5, 7, 100_000].map((n) => ({ ids: Array.from({ length: n }, (_, i) => (i * 7919) % 200_000), mask: Array.from({ length: n }, (_, i) => i % 3 === 0 ? 1 : 0) }));
    for (const r of records) await writer.write(r.ids, r.mask);
    expect(existsSync(file)).toBe(false);
    await writer.commit();
    const bytes = readFileSync(file);
    expect(bytes.subarray(0, 16)).toEqual(Buffer.from([...Buffer.from('LATHETOK'), 1, 0, 0, 0, 0, 0, 0, 0]));
    const index = await readLtokIndex(file);
    expect(index.lengths).toEqual([1, 2, 3, 4, 5, 7, 100_000]);
    for (const [i, offset] of index.offsets.entries()) {
      expect(offset % 4).toBe(0);
      const record = await readLtokRecord(file, offset);
      expect([...record.ids]).toEqual(records[i]!.ids);
      expect([...record.mask]).toEqual(records[i]!.mask);
    }
    // n = 1: 4 + 4 + 1 bytes, then 3 zero bytes of padding.
    expect(bytes.subarray(16, 28)).toEqual(Buffer.from([1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0]));
  });

  it('names the byte offset of a truncated, zero-length or foreign record', async () => {
    const file = path.join(scratch, 'broken.ltok');
    const writer = await LtokWriter.create(file);
    await writer.write([5, 6, 7], [0, 1, 1]);
    await writer.write([8], [1]);
    await writer.commit();
    const good = readFileSync(file);
    truncateSync(file, good.length - 2);
    await expect(readLtokIndex(file)).rejects.toThrow(/byte 36: record of 1 tokens runs past the end/);
    writeFileSync(file, good);
    appendFileSync(file, Buffer.from([1, 0]));
    await expect(readLtokIndex(file)).rejects.toThrow(/byte 48: truncated record header/);
    writeFileSync(file, Buffer.concat([good, Buffer.alloc(4)]));
    await expect(readLtokIndex(file)).rejects.toThrow(/byte 48: record with 0 tokens/);
    writeFileSync(file, Buffer.from('NOTATOKFILE12345'));
    await expect(readLtokIndex(file)).rejects.toMatchObject({ code: 'ltok_corrupt', message: expect.stringMatching(/byte 0/) });
  });

  it('abort leaves neither the target nor a temporary file', async () => {
    const dir = mkdtempSync(path.join(scratch, 'abort-'));
    const writer = await LtokWriter.create(path.join(dir, 'x.ltok'));
    await writer.write([1, 2], [0, 1]);
    await writer.abort();
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('previewDataset', () => {
  it('splits the rendered text into trained and untrained segments', async () => {
    const preview = await previewDataset({ input: GOOD_CHAT, modelDir: MODEL, limit: 12 });
    expect(preview.examples).toHaveLength(12);
    const conversations = conversationsOf(GOOD_CHAT);
    const tokenizer = await ChatTokenizer.load({ modelDir: MODEL });
    const rendered = await tokenizer.render(conversations);
    await tokenizer.close();
    preview.examples.forEach((example, i) => {
      const conversation = conversations[i]!;
      expect(example.segments.map((s) => s.text).join('')).toBe(rendered[i]!.text);
      const trained = example.segments.filter((s) => s.trained).map((s) => s.text);
      const expected = conversation.messages.filter((m) => m.role === 'assistant' && m.weight !== 0).map((m) => `${m.content ?? ''}<|im_end|>`);
      expect(trained.join('')).toBe(expected.join(''));
    });
    expect(preview.examples[6]!.segments.find((s) => s.text.includes('Hello! How can I help?'))!.trained).toBe(false);
  });

  it('previews an eval set as the models will be asked it: up to the user\'s turn, nothing trained, no line skipped', async () => {
    const preview = await previewDataset({ input: path.join(FIXTURES, 'good', 'evals.jsonl'), modelDir: MODEL, limit: 12, purpose: 'evals' });
    expect(preview.skippedLines).toEqual([]);
    expect(preview.examples).toHaveLength(12);
    expect(preview.examples.every((e) => e.trainedTokens === 0 && e.segments.every((s) => !s.trained))).toBe(true);
    expect(preview.examples[0]!.segments.map((s) => s.text).join('')).toContain('What is the capital of France?');
  });

  it('skips lines with errors and shows where truncation cuts', async () => {
    const preview = await previewDataset({ input: path.join(FIXTURES, 'bad', 'invalid_json.jsonl'), modelDir: MODEL, limit: 7, maxLength: 10 });
    expect(preview.skippedLines).toEqual([7]);
    expect(preview.examples.map((e) => e.line)).toEqual([1, 2, 3, 4, 5, 6, 8]);
    expect(preview.examples[0]).toMatchObject({ tokens: 10, truncated: true });
  });
});

describe('exact token counts for validation', () => {
  it('flags too_long from the model tokenizer', async () => {
    const tokenCounter = await createTokenCounter({ modelDir: MODEL });
    const tokenizer = await ChatTokenizer.load({ modelDir: MODEL });
    const lengths = (await tokenizer.encodeBatch(conversationsOf(GOOD_CHAT), 1e9)).map((e) => e.ids.length).sort((x, y) => x - y);
    await tokenizer.close();
    const contextLength = lengths[8]!;
    const report = await validateDataset({ input: GOOD_CHAT, contextLength, tokenCounter });
    await tokenCounter.close();
    expect(report.byCode.too_long!.count).toBe(lengths.filter((n) => n > contextLength).length);
  });
});

describe('preference pairs', () => {
  const GOOD_PREFERENCE = path.join(FIXTURES, 'good', 'preference.jsonl');

  it('writes chosen then rejected for each pair, sharing the input, each masked on its own output only', async () => {
    const output = path.join(scratch, 'pairs.ltok');
    const stats = await tokenizeDataset({ input: GOOD_PREFERENCE, modelDir: MODEL, output, maxLength: 4096, pairs: true });
    const lines = readFileSync(GOOD_PREFERENCE, 'utf8').trim().split('\n');
    expect(stats.train.examples).toBe(lines.length);
    const index = await readLtokIndex(output);
    expect(index.offsets.length).toBe(lines.length * 2);
    let trained = 0;
    for (let pair = 0; pair < lines.length; pair++) {
      const example = JSON.parse(lines[pair]!) as Record<string, unknown>;
      const messages = (example.input as { messages: ChatMessage[] }).messages;
      for (const [side, key] of [[0, 'preferred_output'], [1, 'non_preferred_output']] as const) {
        const record = await readLtokRecord(output, index.offsets[pair * 2 + side]!);
        const output_ = (example[key] as ChatMessage[]).map((m) => ({ ...m, content: typeof m.content === 'string' ? m.content : (m.content as unknown as { text: string }[]).map((p) => p.text).join('') }));
        // Earlier assistant turns of the input are context in a pair: only the output is compared.
        const expected = await expectedChatML([...messages.map((m) => (m.role === 'assistant' ? { ...m, weight: 0 as const } : m)), ...output_]);
        expect([...record.ids]).toEqual(expected.ids);
        expect([...record.mask]).toEqual(expected.mask);
        trained += expected.mask.reduce((a, b) => a + b, 0);
      }
    }
    expect(stats.train.trainedTokens).toBe(trained);
  });

  it('refuses a file in another format when pairs are asked for, naming the line', async () => {
    const output = path.join(scratch, 'not-pairs.ltok');
    const error = await tokenizeDataset({ input: GOOD_CHAT, modelDir: MODEL, output, maxLength: 4096, pairs: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetError);
    expect(error).toMatchObject({ code: 'not_preference_data', line: 1 });
    expect(existsSync(output)).toBe(false);
  });

  it('previews both sides of a pair', async () => {
    const preview = await previewDataset({ input: GOOD_PREFERENCE, modelDir: MODEL, limit: 2 });
    const [first] = preview.examples;
    expect(first!.segments.filter((s) => s.trained).map((s) => s.text).join('')).toContain('Paris.');
    expect(first!.rejected!.segments.filter((s) => s.trained).map((s) => s.text).join('')).toContain('I do not know.');
  });
});
