import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatLines } from '../../../tests/fixtures/datasets/generate-chat';
import { ChatTokenizer } from './chat-tokenizer';
import { toConversation, type Conversation } from './formats';
import { readLtokIndex, readLtokRecord } from './ltok';
import { tokenizeDataset } from './tokenize-dataset';

/*
 * The trainer's fixture model (gpu-runner/trainer, `python3 -m lathe_trainer.fixture`) is what
 * jobs train on in tests. Its tokenizer files come from the same builder as that command (without
 * the minute of pretraining), and the trainer's own Python ChatML encoder is an independent
 * implementation of tokenization and loss mask to check this service against, token by token.
 */
const ROOT = path.resolve(import.meta.dirname, '../../..');
const GOOD_CHAT = path.join(ROOT, 'tests/fixtures/datasets/good/chat.jsonl');
const PYTHON = `
import json, os, sys
from lathe_trainer.fixture import build_tokenizer, tokenizer_config
from lathe_trainer.tokenizer import encode_chat
out = sys.argv[1]
spec, tokenizer = build_tokenizer()
for name, data in (("tokenizer.json", spec), ("tokenizer_config.json", tokenizer_config())):
    with open(os.path.join(out, name), "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False)
conversations = json.load(sys.stdin)
print(json.dumps([encode_chat(tokenizer, messages) for messages in conversations]))
`;

function python(conversations: Conversation[], out: string): Promise<[number[], number[]][]> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      '/usr/bin/python3',
      ['-c', PYTHON, out],
      { env: { ...process.env, PYTHONPATH: path.join(ROOT, 'gpu-runner/trainer') }, maxBuffer: 256 << 20 },
      (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(JSON.parse(stdout))),
    );
    child.stdin!.end(JSON.stringify(conversations.map((c) => c.messages.map(({ role, content, weight }) => ({ role, content, ...(weight === undefined ? {} : { weight }) })))));
  });
}

const modelDir = mkdtempSync(path.join(tmpdir(), 'lathe-fixture-tokenizer-'));
afterAll(() => rmSync(modelDir, { recursive: true, force: true }));

const plain = readFileSync(GOOD_CHAT, 'utf8')
  .trim()
  .split('\n')
  .map((line) => toConversation(JSON.parse(line), 'chat'))
  .filter((c) => c.messages.every((m) => m.content !== null && !m.tool_calls && m.role !== 'tool' && m.name === undefined));
const lines = chatLines(11);
const conversations = [...plain, ...Array.from({ length: 400 }, () => toConversation(JSON.parse(lines.next().value!), 'chat'))];
let reference: [number[], number[]][];

beforeAll(async () => {
  reference = await python(conversations, modelDir);
});

describe('the trainer fixture model', () => {
  it('tokenizes and masks every conversation exactly as the trainer encoder does', async () => {
    const tokenizer = await ChatTokenizer.load({ modelDir });
    expect(tokenizer.contextLength).toBe(1024);
    const encoded = await tokenizer.encodeBatch(conversations, 1_000_000);
    let trained = 0;
    conversations.forEach((_, i) => {
      const [ids, mask] = reference[i]!;
      expect(encoded[i]!.ids, `conversation ${i}`).toEqual(ids);
      expect([...encoded[i]!.mask], `conversation ${i}`).toEqual(mask);
      trained += encoded[i]!.trainedTokens;
    });
    expect(trained).toBeGreaterThan(10_000);
    await tokenizer.close();
  });

  it('writes the same records into .ltok', async () => {
    const output = path.join(modelDir, 'good.ltok');
    const stats = await tokenizeDataset({ input: GOOD_CHAT, modelDir, output, maxLength: 1024 });
    expect(stats.train.examples).toBe(12);
    const index = await readLtokIndex(output);
    const allLines = readFileSync(GOOD_CHAT, 'utf8').trim().split('\n').map((line) => toConversation(JSON.parse(line), 'chat'));
    let checked = 0;
    for (const [i, conversation] of allLines.entries()) {
      const at = plain.findIndex((p) => JSON.stringify(p) === JSON.stringify(conversation));
      if (at === -1) continue;
      const record = await readLtokRecord(output, index.offsets[i]!);
      expect([...record.ids]).toEqual(reference[at]![0]);
      expect([...record.mask]).toEqual(reference[at]![1]);
      checked++;
    }
    expect(checked).toBe(plain.length);
  });
});
