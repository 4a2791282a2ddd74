import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectHfFolder } from './inspect-model';
import { writeRandomModel } from '../../../tests/kit/models/random-model';

let root: string;
let good: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'lathe-inspect-'));
  good = path.join(root, 'good');
  await writeRandomModel({ dir: good, dtype: 'BF16', tieWordEmbeddings: true, contextLength: 8192, license: 'mit' });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function variant(name: string, change: (dir: string) => Promise<void>): Promise<string> {
  const dir = path.join(root, name);
  await cp(good, dir, { recursive: true });
  await change(dir);
  return dir;
}

async function editJson(file: string, edit: (json: Record<string, unknown>) => void) {
  const json = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  edit(json);
  await writeFile(file, JSON.stringify(json));
}

describe('inspectHfFolder', () => {
  it('describes a valid folder from headers alone', async () => {
    const info = await inspectHfFolder(good);
    expect(info).toMatchObject({
      architecture: 'LlamaForCausalLM',
      family: 'llama',
      ggufArchitecture: 'llama',
      contextLength: 8192,
      hasChatTemplate: true,
      license: 'mit',
      dtype: 'bfloat16',
      tokenizer: 'bpe',
    });
    // 659 x 64 embeddings (tied), 2 layers of 4 norms/projections and the final norm.
    const layer = 64 + 64 * 64 + 2 * 32 * 64 + 64 * 64 + 64 + 3 * 128 * 64;
    expect(info.parameters).toBe(659 * 64 + 2 * layer + 64);
    expect(info.chatTemplate).toContain('<|im_start|>');
    expect(info.sizeBytes).toBeGreaterThan(info.parameters * 2);
  });

  it('is not chat-capable without a chat template', async () => {
    const dir = await variant('no-template', (d) => editJson(path.join(d, 'tokenizer_config.json'), (j) => delete j.chat_template));
    expect(await inspectHfFolder(dir)).toMatchObject({ hasChatTemplate: false, chatTemplate: undefined });
  });

  it('reads chat_template.jinja when tokenizer_config.json has none', async () => {
    const dir = await variant('jinja-template', async (d) => {
      await editJson(path.join(d, 'tokenizer_config.json'), (j) => delete j.chat_template);
      await writeFile(path.join(d, 'chat_template.jinja'), '{{ messages[0].content }}');
    });
    expect(await inspectHfFolder(dir)).toMatchObject({ hasChatTemplate: true, chatTemplate: '{{ messages[0].content }}' });
  });

  it('inspects a YaRN-scaled model as servable and says why the trainer cannot fine-tune it', async () => {
    const dir = await variant('yarn', (d) => editJson(path.join(d, 'config.json'), (j) => (j.rope_scaling = { rope_type: 'yarn', factor: 2, original_max_position_embeddings: 64 })));
    expect((await inspectHfFolder(dir)).trainingBlocker).toMatch(/YaRN RoPE scaling is served but not fine-tuned/);
    expect((await inspectHfFolder(await variant('plain', async () => {}))).trainingBlocker).toBeNull();
  });

  it.each([
    ['missing_config', 'no config.json', (d: string) => rm(path.join(d, 'config.json'))],
    ['missing_weights', 'no .safetensors weights', (d: string) => rm(path.join(d, 'model.safetensors'))],
    [
      'missing_weights',
      'only PyTorch pickle weights',
      async (d: string) => {
        await rm(path.join(d, 'model.safetensors'));
        await writeFile(path.join(d, 'pytorch_model.bin'), 'pickle');
      },
    ],
    ['missing_tokenizer', 'no tokenizer.json or tokenizer.model', (d: string) => rm(path.join(d, 'tokenizer.json'))],
    [
      'unsupported_architecture',
      'GPTNeoXForCausalLM is not supported; supported: LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM',
      (d: string) => editJson(path.join(d, 'config.json'), (j) => (j.architectures = ['GPTNeoXForCausalLM'])),
    ],
    ['unsupported_architecture', 'hidden_act "gelu" is not supported (only silu)', (d: string) => editJson(path.join(d, 'config.json'), (j) => (j.hidden_act = 'gelu'))],
    ['shape_mismatch', 'model.layers.0.self_attn.q_proj.weight is [64, 64], config.json implies [96, 64]', (d: string) => editJson(path.join(d, 'config.json'), (j) => (j.num_attention_heads = 6, j.head_dim = 16))],
    ['shape_mismatch', 'missing model.layers.2.input_layernorm.weight', (d: string) => editJson(path.join(d, 'config.json'), (j) => (j.num_hidden_layers = 3))],
    ['invalid_config', 'config.json is not valid JSON', (d: string) => writeFile(path.join(d, 'config.json'), '{"architectures": [')],
    [
      'corrupt_safetensors',
      'header is not JSON',
      async (d: string) => {
        const bytes = await readFile(path.join(d, 'model.safetensors'));
        bytes.write('#', 8);
        await writeFile(path.join(d, 'model.safetensors'), bytes);
      },
    ],
    [
      'unsupported_tokenizer',
      'pre_tokenizer is not one llama.cpp implements',
      (d: string) => editJson(path.join(d, 'tokenizer.json'), (j) => (j.pre_tokenizer = { type: 'Whitespace' })),
    ],
  ])('fails with %s (%s)', async (code, message, change) => {
    const dir = await variant(`bad-${code}-${Math.random().toString(36).slice(2)}`, change);
    const error = await inspectHfFolder(dir).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code });
    expect((error as Error).message).toContain(message);
  });

  it('reports a folder that does not exist as missing_config', async () => {
    await expect(inspectHfFolder(path.join(root, 'nowhere'))).rejects.toMatchObject({ code: 'missing_config' });
  });
});
