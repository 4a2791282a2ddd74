// The learning check through the API: a fine-tune of the fixture on the trainer's learning-check
// chats (web, worker and gpu-runner as real processes, all through the openai client), then
// /v1/chat/completions with the `ft:...` model answers the training questions and the base model
// does not; requests for both at once all answer right; an alias resolves and switching its target
// changes the answers; a checkpoint is callable by name (its adapter converted on first request);
// the adapter downloads.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import OpenAI, { toFile } from 'openai';
import { unzipSync } from 'fflate';
import { startPlatform, type Platform } from '@/scripts/lib/supervisor';
import { cachedTinyModel } from '@/gpu-runner/trainer/python';
import { learningCheckChats, type Chat } from '@/tests/helpers/learning-check';
import { callerFor, type TestUser } from '@/tests/helpers/factories';
import { getDb } from '@/server/db';
import { importModel, userWithKey } from '@/tests/helpers/serving';
import { useOwnDatabase } from '@/tests/helpers/own-database';

const modelName = `tiny-ft-serve-${Date.now()}`;
let platform: Platform;
let client: OpenAI;
let user: TestUser;
let chats: Chat[];
let tunedName: string;
const logs: string[] = [];

// Its worker and runner processes must see only its own rows (tests/helpers/own-database.ts).
useOwnDatabase();

beforeAll(async () => {
  const modelDir = await cachedTinyModel();
  chats = await learningCheckChats();
  await importModel(modelDir, modelName);
  const owner = await userWithKey(1000);
  user = owner.user;
  platform = await startPlatform({
    port: 0,
    env: { LOG_LEVEL: 'warn', LATHE_EXECUTOR: 'process', RUNNER_CPUS: '1', RUNNER_SERVING_THREADS: '1' },
    log: (l) => logs.push(l),
  });
  client = new OpenAI({ apiKey: owner.key, baseURL: `${platform.url}/v1`, maxRetries: 0 });
}, 600_000);

afterAll(async () => {
  await platform?.stop();
});

const questionOf = (chat: Chat) => chat.filter((m) => m.role !== 'assistant');
const answerOf = (chat: Chat) => chat.at(-1)!.content;

async function replies(model: string, subset: Chat[] = chats): Promise<string[]> {
  const out: string[] = [];
  // Two at a time: the server's concurrency.
  for (let i = 0; i < subset.length; i += 2) {
    const batch = await Promise.all(
      subset.slice(i, i + 2).map((chat) =>
        client.chat.completions.create({ model, messages: questionOf(chat) as OpenAI.Chat.ChatCompletionMessageParam[], temperature: 0, max_tokens: 24 }),
      ),
    );
    out.push(...batch.map((r) => r.choices[0]!.message.content ?? ''));
  }
  return out;
}

const hits = (answers: string[], subset: Chat[] = chats) => answers.filter((a, i) => a.trim() === answerOf(subset[i]!).trim()).length;

afterEach(({ task }) => {
  // The platform's own output explains most failures here.
  if (task.result?.state === 'fail') console.log(logs.slice(-60).join('\n'));
});

describe('a fine-tuned model through /v1', () => {
  it('fine-tunes the fixture on the learning-check chats', async () => {
    const jsonl = chats.map((messages) => JSON.stringify({ messages })).join('\n') + '\n';
    const file = await client.files.create({ file: await toFile(Buffer.from(jsonl), 'codes.jsonl'), purpose: 'fine-tune' });
    const created = await client.fineTuning.jobs.create({
      model: modelName,
      training_file: file.id,
      suffix: 'serve',
      seed: 1,
      hyperparameters: { n_epochs: 80, batch_size: 8, learning_rate_multiplier: 20 },
    });
    const deadline = Date.now() + 300_000;
    let job = created;
    while (!['succeeded', 'failed', 'cancelled'].includes(job.status)) {
      if (Date.now() > deadline) throw new Error(`job still ${job.status}\n${logs.slice(-30).join('\n')}`);
      await new Promise((r) => setTimeout(r, 1000));
      job = await client.fineTuning.jobs.retrieve(created.id);
    }
    expect(job.error, JSON.stringify(job.error)).toBeNull();
    expect(job.status).toBe('succeeded');
    tunedName = job.fine_tuned_model!;
    expect(tunedName).toMatch(/^ft:/);
  }, 330_000);

  it('answers the training questions with the ft model and not with the base model', async () => {
    const tuned = await replies(tunedName);
    expect(hits(tuned), JSON.stringify(tuned)).toBeGreaterThanOrEqual(Math.ceil(chats.length * 0.9));
    const base = await replies(modelName);
    expect(hits(base), JSON.stringify(base)).toBe(0);
  }, 180_000);

  it('answers requests for the base and the adapter at the same time, each with its own weights', async () => {
    const subset = chats.slice(0, 4);
    const [tuned, base] = await Promise.all([replies(tunedName, subset), replies(modelName, subset)]);
    expect(hits(tuned, subset)).toBeGreaterThanOrEqual(3);
    expect(hits(base, subset)).toBe(0);
  }, 120_000);

  it('resolves an alias, and switching its target changes the answers', async () => {
    const caller = callerFor(user);
    const alias = await caller.serving.alias.create({ name: 'support-bot', target: tunedName });
    const subset = chats.slice(0, 4);
    const first = await client.chat.completions.create({ model: 'support-bot', messages: questionOf(subset[0]!) as OpenAI.Chat.ChatCompletionMessageParam[], temperature: 0, max_tokens: 24 });
    expect(first.model).toBe('support-bot');
    expect(hits(await replies('support-bot', subset), subset)).toBeGreaterThanOrEqual(3);
    await caller.serving.alias.update({ id: alias.id, target: modelName });
    expect(hits(await replies('support-bot', subset), subset)).toBe(0);
    const listed = await client.models.list();
    expect(listed.data.map((m) => m.id)).toEqual(expect.arrayContaining([tunedName, 'support-bot']));
  }, 120_000);

  it('serves a checkpoint by name, converting its adapter on the first request', async () => {
    const job = await getDb().fineTunedModel.findUniqueOrThrow({ where: { name: tunedName }, select: { jobId: true } });
    const checkpoints = await client.fineTuning.jobs.checkpoints.list(`ftjob-${job.jobId}`);
    const name = checkpoints.data[0]!.fine_tuned_model_checkpoint;
    const reply = await client.chat.completions.create({ model: name, messages: questionOf(chats[0]!) as OpenAI.Chat.ChatCompletionMessageParam[], temperature: 0, max_tokens: 24 });
    expect(reply.model).toBe(name);
    expect(reply.usage!.completion_tokens).toBeGreaterThan(0);
    const stored = await getDb().checkpoint.findFirstOrThrow({ where: { jobId: job.jobId!, step: checkpoints.data[0]!.step_number } });
    expect((stored.artifacts as { gguf?: { sha256: string } }).gguf?.sha256).toMatch(/^[0-9a-f]{64}$/);
  }, 120_000);

  it('downloads the PEFT adapter as a zip with the base model named, and the adapter GGUF', async () => {
    const tuned = await getDb().fineTunedModel.findUniqueOrThrow({ where: { name: tunedName } });
    const links = await callerFor(user).serving.downloads({ fineTunedModel: tuned.name });
    expect(links.links.map((l) => l.artifact)).toEqual(['adapter.zip', 'adapter.gguf', 'merged.gguf', 'merged-hf.zip']);
    const zip = await fetch(`${platform.url}/api/downloads/${tuned.id}/adapter.zip`, { headers: { authorization: `Bearer ${client.apiKey}` } });
    expect(zip.status).toBe(200);
    expect(zip.headers.get('x-lathe-base-model')).toBe(modelName);
    const files = unzipSync(new Uint8Array(await zip.arrayBuffer()));
    expect(Object.keys(files)).toEqual(expect.arrayContaining(['README.md', 'adapter/adapter_model.safetensors', 'adapter/adapter_config.json']));
    expect(new TextDecoder().decode(files['README.md'])).toContain(modelName);
    const gguf = await fetch(`${platform.url}/api/downloads/${tuned.id}/adapter.gguf`, { headers: { authorization: `Bearer ${client.apiKey}` } });
    const bytes = new Uint8Array(await gguf.arrayBuffer());
    expect(new TextDecoder().decode(bytes.slice(0, 4))).toBe('GGUF');
    const merged = await fetch(`${platform.url}/api/downloads/${tuned.id}/merged.gguf`, { headers: { authorization: `Bearer ${client.apiKey}` } });
    expect(merged.status).toBe(200);
    expect(new TextDecoder().decode(new Uint8Array(await merged.arrayBuffer()).slice(0, 4))).toBe('GGUF');
    const hf = await fetch(`${platform.url}/api/downloads/${tuned.id}/merged-hf.zip`, { headers: { authorization: `Bearer ${client.apiKey}` } });
    expect(hf.status).toBe(200);
    const hfFiles = Object.keys(unzipSync(new Uint8Array(await hf.arrayBuffer()))).map((name) => name.split('/').at(-1));
    expect(hfFiles).toEqual(expect.arrayContaining(['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']));
  }, 120_000);
});
