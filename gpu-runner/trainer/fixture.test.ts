// The fixture's tokenizer and chat template as the rest of the platform reads them: the Hugging
// Face tokenizers library must agree token for token with the trainer's own encoder, and the Jinja
// chat template must render what the trainer's ChatML helper renders.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Template } from '@huggingface/jinja';
import { Tokenizer as JsTokenizer } from '@huggingface/tokenizers';
import { Tokenizer } from 'tokenizers';
import { beforeAll, describe, expect, it } from 'vitest';
import { cachedTinyModel, runTrainerModule, trainerEnv, trainerPython } from './python';

const SAMPLES = [
  'The river runs past the old mill.',
  "It's a quiet evening; we'll walk, they've left, I'm sure you'd like it.",
  'Le vent souffle sur la colline. Der Zug fährt um acht Uhr ab. ¿Qué tal?',
  'Весна пришла в город. Η θάλασσα είναι ήρεμη.',
  '今日は天気がいいので、公園で本を読みます。我们明天早上去图书馆。',
  '오늘은 날씨가 맑아서 السماء صافية',
  'Emoji 🚀🌍 ☕✨ 👩‍👩‍👧 and numbers 3.14159, 2024, -17',
  'def add(a, b):\n    return a + b\n\n\n\ttabs  and   spaces   ',
  '<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\n',
  'x²³ Ⅻ ½ a\u00a0b\u3000c',
];

async function pythonEncode(modelDir: string, texts: string[]): Promise<number[][]> {
  const lines: string[] = [];
  const script = [
    'import json,sys',
    'from lathe_trainer.tokenizer import ByteLevelBPE',
    `tok=ByteLevelBPE.from_file(${JSON.stringify(path.join(modelDir, 'tokenizer.json'))})`,
    `print(json.dumps([tok.encode(t) for t in json.loads(${JSON.stringify(JSON.stringify(texts))})]))`,
  ].join('\n');
  await new Promise<void>((resolve, reject) => {
    const child = spawn(trainerPython(), ['-c', script], { env: trainerEnv(), stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.on('data', (chunk) => lines.push(String(chunk)));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`python exited ${code}`))));
  });
  return JSON.parse(lines.join(''));
}

describe('tiny-model fixture', () => {
  let modelDir = '';
  beforeAll(async () => {
    modelDir = await cachedTinyModel();
  }, 300_000);

  it('has the Hugging Face files of a Llama chat model', () => {
    const config = JSON.parse(readFileSync(path.join(modelDir, 'config.json'), 'utf8'));
    expect(config.architectures).toEqual(['LlamaForCausalLM']);
    const tokenizerConfig = JSON.parse(readFileSync(path.join(modelDir, 'tokenizer_config.json'), 'utf8'));
    expect(tokenizerConfig.eos_token).toBe('<|im_end|>');
    const generation = JSON.parse(readFileSync(path.join(modelDir, 'generation_config.json'), 'utf8'));
    expect(generation.eos_token_id).toBe(2);
  });

  it('tokenizes exactly like the Hugging Face tokenizers libraries (Rust bindings and pure JS)', async () => {
    const rust = Tokenizer.fromFile(path.join(modelDir, 'tokenizer.json'));
    const js = new JsTokenizer(
      JSON.parse(readFileSync(path.join(modelDir, 'tokenizer.json'), 'utf8')),
      JSON.parse(readFileSync(path.join(modelDir, 'tokenizer_config.json'), 'utf8')),
    );
    const ours = await pythonEncode(modelDir, SAMPLES);
    for (const [i, text] of SAMPLES.entries()) {
      const encoding = await rust.encode(text);
      expect(encoding.getIds(), text).toEqual(ours[i]);
      expect(js.encode(text).ids, text).toEqual(ours[i]);
      expect(await rust.decode(ours[i] ?? [], false)).toBe(text);
      expect(js.decode(ours[i] ?? [])).toBe(text);
    }
  });

  it('renders its chat template like the trainer and ends generation prompts for the assistant', () => {
    const tokenizerConfig = JSON.parse(readFileSync(path.join(modelDir, 'tokenizer_config.json'), 'utf8'));
    const template = new Template(tokenizerConfig.chat_template);
    const messages = [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi\nthere' },
      { role: 'assistant', content: 'Hello.' },
    ];
    expect(template.render({ messages, add_generation_prompt: false })).toBe(
      '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi\nthere<|im_end|>\n<|im_start|>assistant\nHello.<|im_end|>\n',
    );
    expect(template.render({ messages: messages.slice(0, 2), add_generation_prompt: true })).toMatch(
      /<\|im_start\|>assistant\n$/,
    );
  });

  it('answers a chat prompt through the generate command, ending its turn', async () => {
    const rust = Tokenizer.fromFile(path.join(modelDir, 'tokenizer.json'));
    const prompt = (await rust.encode('<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n')).getIds();
    let output = '';
    const code = await runTrainerModule(
      'generate',
      ['--model', modelDir, '--prompt-tokens', prompt.join(','), '--max-new-tokens', '32', '--threads', '1'],
      { onStdoutLine: (line) => (output += line) },
    );
    expect(code).toBe(0);
    const tokens: number[] = JSON.parse(output).tokens;
    expect(tokens.at(-1)).toBe(2);
    expect((await rust.decode(tokens, true)).length).toBeGreaterThan(3);
  });
});
