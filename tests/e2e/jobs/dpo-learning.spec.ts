// The DPO learning check through the API: pairs whose preferred answer is an invented code and
// whose non-preferred answer is what the base says now, uploaded and tuned with method dpo
// (web, worker and gpu-runner as real processes, all through the openai client). Greedy answers of
// the fine-tune through /v1 then follow the preferred output for most prompts; the base's do not.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import OpenAI, { toFile } from 'openai';
import { startPlatform, type Platform } from '@/scripts/lib/supervisor';
import { cachedTinyModel } from '@/gpu-runner/trainer/python';
import { learningCheckChats, type Chat } from '@/tests/helpers/learning-check';
import { importModel, userWithKey } from '@/tests/helpers/serving';
import { useOwnDatabase } from '@/tests/helpers/own-database';

const modelName = `tiny-dpo-${Date.now()}`;
let platform: Platform;
let client: OpenAI;
let chats: Chat[];
let baseReplies: string[];
const logs: string[] = [];

useOwnDatabase();

beforeAll(async () => {
  const modelDir = await cachedTinyModel();
  chats = (await learningCheckChats(24)).slice(0, 24);
  await importModel(modelDir, modelName);
  const owner = await userWithKey(1000);
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

afterEach(({ task }) => {
  if (task.result?.state === 'fail') console.log(logs.slice(-60).join('\n'));
});

const question = (chat: Chat) => chat.filter((m) => m.role !== 'assistant') as OpenAI.Chat.ChatCompletionMessageParam[];
const preferred = (chat: Chat) => chat.at(-1)!.content;

async function replies(model: string): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < chats.length; i += 2) {
    const batch = await Promise.all(
      chats.slice(i, i + 2).map((chat) => client.chat.completions.create({ model, messages: question(chat), temperature: 0, max_tokens: 24 })),
    );
    out.push(...batch.map((r) => r.choices[0]!.message.content ?? ''));
  }
  return out;
}

const hits = (answers: string[]) => answers.filter((a, i) => a.trim() === preferred(chats[i]!).trim()).length;

describe('preference tuning (DPO) through /v1', () => {
  let tunedName: string;

  it('tunes the fixture with method dpo on preference pairs and reports the method and the DPO metrics', async () => {
    baseReplies = await replies(modelName);
    const lines = chats.map((chat, i) =>
      JSON.stringify({
        input: { messages: question(chat) },
        preferred_output: [{ role: 'assistant', content: preferred(chat) }],
        non_preferred_output: [{ role: 'assistant', content: baseReplies[i]!.trim() || 'I do not know.' }],
      }),
    );
    const file = await client.files.create({ file: await toFile(Buffer.from(`${lines.join('\n')}\n`), 'pairs.jsonl'), purpose: 'fine-tune' });
    // Epochs, batch size and learning rate are left to "auto", as a customer would: on these 24 pairs
    // it resolves to batch 1 for 42 epochs (1,008 optimizer steps) at the width-scaled rate. The
    // values once set here (50 epochs of batch 8 at 15x, 150 steps) predate that rule and learn only
    // 3 to 5 of the 24 codes, in the trainer alone as well as through the platform.
    const method = { type: 'dpo' as const, dpo: { hyperparameters: { beta: 0.1, n_epochs: 'auto' as const, batch_size: 'auto' as const, learning_rate_multiplier: 'auto' as const } } };
    const created = await client.fineTuning.jobs.create({ model: modelName, training_file: file.id, suffix: 'dpo', seed: 1, method });
    expect(created.method).toEqual(method);
    const deadline = Date.now() + 600_000;
    let job = created;
    while (!['succeeded', 'failed', 'cancelled'].includes(job.status)) {
      if (Date.now() > deadline) throw new Error(`job still ${job.status}`);
      await new Promise((r) => setTimeout(r, 1000));
      job = await client.fineTuning.jobs.retrieve(created.id);
    }
    expect(job.error, JSON.stringify(job.error)).toBeNull();
    // The finished job reports what "auto" resolved to.
    expect(job.method).toEqual({
      type: 'dpo',
      dpo: { hyperparameters: { beta: 0.1, n_epochs: expect.any(Number), batch_size: expect.any(Number), learning_rate_multiplier: expect.any(Number) } },
    });
    tunedName = job.fine_tuned_model!;
    const events = await client.fineTuning.jobs.listEvents(job.id, { limit: 100 });
    const metrics = events.data.filter((e) => e.type === 'metrics' && (e.data as Record<string, unknown>).reward_margin !== undefined);
    expect(metrics.length).toBeGreaterThan(0);
    const last = metrics[0]!.data as Record<string, number>;
    expect(last.reward_margin).toBeGreaterThan(0);
    expect(last.rewards_chosen).toBeGreaterThan(last.rewards_rejected!);
  }, 660_000);

  it('answers with the preferred output for most prompts, where the base does not', async () => {
    const tuned = await replies(tunedName);
    expect(hits(tuned), JSON.stringify(tuned)).toBeGreaterThan(chats.length / 2);
    expect(hits(baseReplies), JSON.stringify(baseReplies)).toBe(0);
  }, 180_000);
});
