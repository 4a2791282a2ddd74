// Job tokenization (the worker's side) with chat templates a model could bring: a runaway template
// fails the tokenization with the limit it broke, and the tokenizing process keeps serving.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, describe, expect, it } from 'vitest';
import { tokenizeDataset } from '../tokenize-dataset';

const FIXTURES = path.resolve(import.meta.dirname, '../../../../tests/fixtures/datasets');
const GOOD_CHAT = path.join(FIXTURES, 'good', 'chat.jsonl');
const scratch = mkdtempSync(path.join(tmpdir(), 'lathe-template-child-'));
const saved = process.env.LATHE_TEMPLATE_TIMEOUT_MS;
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
  if (saved === undefined) delete process.env.LATHE_TEMPLATE_TIMEOUT_MS;
  else process.env.LATHE_TEMPLATE_TIMEOUT_MS = saved;
});

function modelWithTemplate(name: string, chatTemplate: string): string {
  const dir = path.join(scratch, name);
  mkdirSync(dir, { recursive: true });
  copyFileSync(path.join(FIXTURES, 'tokenizer', 'tokenizer.json'), path.join(dir, 'tokenizer.json'));
  const config = JSON.parse(readFileSync(path.join(FIXTURES, 'tokenizer', 'tokenizer_config.json'), 'utf8'));
  writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify({ ...config, chat_template: chatTemplate }));
  return dir;
}

describe('tokenization with a chat template from a model', () => {
  it('a template that loops fails with template_timeout at the limit, publishes nothing, and never stalls the tokenizing process', async () => {
    process.env.LATHE_TEMPLATE_TIMEOUT_MS = '1500';
    const modelDir = modelWithTemplate('looping', "{% for i in range(2000) %}{% for j in range(2000) %}{% endfor %}{% endfor %}{{ messages[0]['content'] }}");
    const output = path.join(scratch, 'looping.ltok');
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const error = await tokenizeDataset({ input: GOOD_CHAT, modelDir, output, maxLength: 512 }).catch((e: unknown) => e);
    delay.disable();
    expect(error).toMatchObject({ code: 'template_timeout', message: expect.stringContaining('longer than 1.5 s') });
    expect(delay.max / 1e6).toBeLessThan(1000);
    expect(existsSync(output)).toBe(false);
  });

  it('a sound template tokenizes as before once a runaway one was stopped', async () => {
    process.env.LATHE_TEMPLATE_TIMEOUT_MS = '30000';
    const stats = await tokenizeDataset({ input: GOOD_CHAT, modelDir: path.join(FIXTURES, 'tokenizer'), output: path.join(scratch, 'good.ltok'), maxLength: 512 });
    expect(stats.train.examples).toBe(12);
  });
});
