// @lathe/sdk, the end-user CLI and the OpenAPI document against a running platform (web, worker
// and gpu-runner as real processes, the fixture model): the loop runs in Node from the
// installed tarball and in Chromium from the browser build (what the tarball holds and declares is
// checked by package.spec.ts); an upload resumes after its connection is cut mid-file; jobs.watch
// survives a web restart without losing or repeating an event; the CLI does the loop with --json
// and draws its progress bar and loss chart in a pseudo-terminal (tmux); the official openai
// client's answers match the document.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import OpenAI, { toFile } from 'openai';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { startPlatform, type Platform } from '@/scripts/lib/supervisor';
import { cachedTinyModel } from '@/gpu-runner/trainer/python';
import { learningCheckChats } from '@/tests/helpers/learning-check';
import { importModel, userWithKey } from '@/tests/helpers/serving';
import { useOwnDatabase } from '@/tests/helpers/own-database';
import { runLathe } from '@/tests/helpers/cli';
import { launchBrowser } from '@/tests/helpers/browser';
import { getDb } from '@/server/db';
import { createLathe, type JobEvent } from '@/packages/sdk/src/index';

const run = promisify(execFile);
const SDK_DIR = path.resolve('packages/sdk');
const modelName = `tiny-sdk-${Date.now()}`;
const logs: string[] = [];
let platform: Platform;
let key: string;
let work: string;
let jsonl: string;
let installed: string;

useOwnDatabase();

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'lathe-sdk-'));
  const [modelDir, chats] = await Promise.all([cachedTinyModel(), learningCheckChats(16)]);
  jsonl = chats.map((messages) => JSON.stringify({ messages })).join('\n') + '\n';
  await writeFile(path.join(work, 'chats.jsonl'), jsonl);
  await importModel(modelDir, modelName);
  key = (await userWithKey(1000)).key;
  // The tarball exactly as it would be published, installed where no repository code is reachable.
  await run('npx', ['tsup'], { cwd: SDK_DIR, maxBuffer: 1 << 24 });
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--pack-destination', work, '--json'], { cwd: SDK_DIR });
  const tarball = path.join(work, (JSON.parse(stdout) as { filename: string }[])[0]!.filename);
  installed = path.join(work, 'app');
  await run('mkdir', ['-p', installed]);
  await writeFile(path.join(installed, 'package.json'), '{"name":"sdk-check","private":true,"type":"module"}\n');
  await run('npm', ['install', '--offline', '--no-audit', '--no-fund', tarball], { cwd: installed });
  platform = await startPlatform({ port: 0, env: { LOG_LEVEL: 'warn', LATHE_EXECUTOR: 'process', RUNNER_CPUS: '1', RUNNER_SERVING_THREADS: '1' }, log: (l) => logs.push(l) });
}, 900_000);

afterAll(async () => {
  await platform?.stop();
});

afterEach(({ task }) => {
  if (task.result?.state === 'fail') console.log(logs.slice(-60).join('\n'));
});

const hyper = { n_epochs: 2, batch_size: 8 };

describe('OpenAPI', () => {
  it('serves a valid OpenAPI 3.1 document, and the openai client\'s answers match it', async () => {
    const doc = (await (await fetch(`${platform.url}/v1/openapi.json`)).json()) as { openapi: string; components: { schemas: Record<string, unknown> } };
    expect(doc.openapi).toBe('3.1.0');
    const { validate } = await import('@readme/openapi-parser');
    const result = await validate(structuredClone(doc) as never);
    expect(result.valid, JSON.stringify(result)).toBe(true);

    const ajv = new Ajv2020({ strict: false, allErrors: true });
    ajv.addSchema({ $id: 'lathe', components: doc.components }, 'lathe');
    const check = (name: string, value: unknown) => {
      const ok = ajv.validate({ $ref: `lathe#/components/schemas/${name}` }, value);
      expect(ok, `${name}: ${ajv.errorsText()}`).toBe(true);
    };
    // The client's default retries: a kept-alive connection the server closed while the document
    // was being validated is retried on a new one, as any client of the API would.
    const openai = new OpenAI({ apiKey: key, baseURL: `${platform.url}/v1`, maxRetries: 2 });
    const models = await openai.models.list();
    check('ModelList', { object: 'list', data: models.data });
    check('Model', await openai.models.retrieve(modelName));
    const file = await openai.files.create({ file: await toFile(Buffer.from(jsonl), 'chats.jsonl'), purpose: 'fine-tune' });
    check('File', file);
    check('FileList', { object: 'list', data: (await openai.files.list()).data, has_more: false });
    const job = await openai.fineTuning.jobs.create({ model: modelName, training_file: file.id, hyperparameters: hyper });
    check('FineTuningJob', job);
    check('FineTuningJob', await openai.fineTuning.jobs.cancel(job.id));
    const events = await openai.fineTuning.jobs.listEvents(job.id);
    check('FineTuningJobEventList', { object: 'list', data: events.data, has_more: events.has_more });
    const error = await openai.models.retrieve('no-such-model').catch((e: unknown) => e as InstanceType<typeof OpenAI.APIError>);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    check('Error', { error: (error as InstanceType<typeof OpenAI.APIError>).error });
  }, 120_000);
});

describe('the SDK loop', () => {
  let tuned: string;

  it('runs upload → validate → estimate → create → watch → wait → chat in Node from the installed tarball', async () => {
    const script = `
      import { createLathe } from '@lathe/sdk';
      const lathe = createLathe({ apiKey: process.env.LATHE_API_KEY, baseUrl: process.env.LATHE_BASE_URL });
      const fractions = [];
      const dataset = await lathe.datasets.upload(process.argv[2], { onProgress: (p) => fractions.push(p.fraction) });
      const report = await lathe.datasets.waitUntilValidated(dataset.id);
      const estimate = await lathe.jobs.estimate({ model: process.env.MODEL, trainingFile: dataset.id, hyperparameters: ${JSON.stringify(hyper)} });
      const job = await lathe.jobs.create({ model: process.env.MODEL, trainingFile: dataset.id, hyperparameters: ${JSON.stringify(hyper)} });
      const events = [];
      for await (const event of lathe.jobs.watch(job.id)) events.push({ seq: event.seq, type: event.type, message: event.message });
      const done = await lathe.jobs.wait(job.id);
      const reply = await lathe.chat.completions.create({ model: done.fineTunedModel, messages: [{ role: 'user', content: 'hi' }], max_tokens: 8 });
      let streamed = '';
      for await (const chunk of await lathe.chat.completions.create({ model: done.fineTunedModel, messages: [{ role: 'user', content: 'hi' }], max_tokens: 8, stream: true })) streamed += chunk.choices[0]?.delta.content ?? '';
      let error = null;
      try { await lathe.jobs.get('ftjob-missing'); } catch (e) { error = { name: e.name, code: e.code, status: e.status, param: e.param }; }
      console.log(JSON.stringify({ fractions, dataset, report, estimate, job, events, done, reply, streamed, error, balance: await lathe.credits.balance() }));
    `;
    await writeFile(path.join(installed, 'loop.mjs'), script);
    const { stdout } = await run(process.execPath, ['loop.mjs', path.join(work, 'chats.jsonl')], {
      cwd: installed,
      env: { ...process.env, LATHE_API_KEY: key, LATHE_BASE_URL: platform.url, MODEL: modelName },
      timeout: 400_000,
      maxBuffer: 1 << 24,
    });
    const r = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, any>;
    expect(r.fractions.at(-1)).toBe(1);
    expect(r.report).toMatchObject({ status: 'valid', findings: [] });
    expect(Number(r.estimate.estimatedCost ?? r.estimate.cost ?? 1)).toBeGreaterThan(0);
    expect(r.job.id).toMatch(/^ftjob-/);
    const seqs = (r.events as JobEvent[]).map((e) => e.seq);
    expect(seqs.length).toBeGreaterThan(2);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect((r.events as JobEvent[]).some((e) => e.type === 'metrics')).toBe(true);
    expect(r.done.status).toBe('succeeded');
    expect(r.done.fineTunedModel).toMatch(/^ft:/);
    expect(r.reply.object).toBe('chat.completion');
    expect(r.reply.usage.completion_tokens).toBeGreaterThan(0);
    expect(typeof r.streamed).toBe('string');
    expect(r.error).toEqual({ name: 'LatheApiError', code: expect.any(String), status: 404, param: 'fine_tuning_job_id' });
    // Every event the server stored, once each, in order.
    const stored = await getDb().jobEvent.findMany({ where: { jobId: r.job.id.slice('ftjob-'.length) }, orderBy: { seq: 'asc' }, select: { seq: true } });
    expect(seqs).toEqual(stored.map((e) => e.seq));
    tuned = r.done.fineTunedModel as string;
  }, 420_000);

  it('reports an invalid dataset with line, code and field', async () => {
    const lathe = createLathe({ apiKey: key, baseUrl: platform.url });
    const bad = '{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}\n{"messages": [{"role": "robot", "content": "x"}]}\nnot json\n';
    const dataset = await lathe.datasets.upload(new TextEncoder().encode(bad), { filename: 'bad.jsonl' });
    const report = await lathe.datasets.waitUntilValidated(dataset.id);
    expect(report.status).toBe('invalid');
    expect(report.findings.map((f) => f.line)).toEqual(expect.arrayContaining([2, 3]));
    expect(report.findings.every((f) => typeof f.code === 'string' && 'field' in f)).toBe(true);
  }, 120_000);

  it.each([
    ['sent in one request (the default)', undefined],
    ['sent in 512 KiB requests', 512 * 1024],
  ])('resumes an upload %s after its connection is cut mid-file', async (_how, chunkSize) => {
    // A proxy that cuts the first upload connection once about 40% of the file went through it.
    const target = new URL(platform.url);
    const data = Buffer.from(jsonl.repeat(Math.ceil(3_000_000 / jsonl.length)));
    let forwarded = 0;
    let cuts = 0;
    const proxy = net.createServer((client) => {
      const upstream = net.connect(Number(target.port), target.hostname);
      client.on('data', (chunk) => {
        forwarded += chunk.length;
        if (cuts === 0 && forwarded > data.length * 0.4) {
          cuts += 1;
          client.destroy();
          upstream.destroy();
          return;
        }
        upstream.write(chunk);
      });
      upstream.on('data', (chunk) => client.write(chunk));
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
      client.on('close', () => upstream.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const via = createLathe({ apiKey: key, baseUrl: `http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}` });
      const dataset = await via.datasets.upload(data, { filename: `big-${chunkSize ?? 'whole'}.jsonl`, chunkSize, retryDelays: [100, 200, 400] });
      expect(cuts).toBe(1);
      expect(dataset.sha256).toBe(createHash('sha256').update(data).digest('hex'));
      expect(dataset.sizeBytes).toBe(data.length);
      // Resumed, not restarted: well under twice the file crossed the proxy.
      expect(forwarded).toBeLessThan(data.length * 1.5);
    } finally {
      proxy.close();
    }
  }, 120_000);

  it('keeps watching through a web process restart without losing or repeating an event', async () => {
    const lathe = createLathe({ apiKey: key, baseUrl: platform.url });
    const dataset = (await lathe.datasets.list()).find((d) => d.status === 'VALID' && d.filename === 'chats.jsonl')!;
    const job = await lathe.jobs.create({ model: modelName, trainingFile: dataset.id, hyperparameters: { n_epochs: 3, batch_size: 8 } });
    const seen: JobEvent[] = [];
    let restarted = false;
    let reconnects = 0;
    let reconnected = () => {};
    const back = new Promise<void>((resolve) => (reconnected = resolve));
    const onConnection = (state: 'connect' | 'disconnect') => {
      if (state === 'connect' && ++reconnects >= 2) reconnected();
    };
    for await (const event of lathe.jobs.watch(job.id, { onConnection })) {
      seen.push(event);
      if (!restarted && event.seq >= 2) {
        restarted = true;
        platform.children.get('web')!.kill('SIGKILL');
        // Holds the iterator until its socket is back on the restarted process. Left running, it
        // could read the job's last events over HTTP and end before the socket reconnected, as a
        // short job on a restarted web process allows.
        await back;
      }
    }
    expect(restarted).toBe(true);
    expect(reconnects).toBeGreaterThanOrEqual(2);
    const stored = await getDb().jobEvent.findMany({ where: { jobId: job.id.slice('ftjob-'.length) }, orderBy: { seq: 'asc' }, select: { seq: true } });
    expect(seen.map((e) => e.seq)).toEqual(stored.map((e) => e.seq));
    expect((await lathe.jobs.get(job.id)).status).toBe('succeeded');
  }, 420_000);

  it('runs the loop in Chromium from the browser build', async () => {
    const code = await readFile(path.join(installed, 'node_modules/@lathe/sdk/dist/browser.js'), 'utf8');
    const { browser, close } = await launchBrowser();
    try {
      const page = await browser.newPage();
      await page.goto(`${platform.url}/v1/openapi.json`);
      // Given as source text: the test runner rewrites `import()` in functions it compiles.
      const loop = `(async ({ code, key, jsonl, model, hyper }) => {
        const url = URL.createObjectURL(new Blob([code], { type: 'text/javascript' }));
        const { createLathe } = await import(url);
        const lathe = createLathe({ apiKey: key, baseUrl: location.origin });
        let last = 0;
        const dataset = await lathe.datasets.upload(new File([jsonl], 'browser.jsonl'), { onProgress: (p) => (last = p.fraction) });
        const report = await lathe.datasets.waitUntilValidated(dataset.id);
        await lathe.jobs.estimate({ model, trainingFile: dataset.id, hyperparameters: hyper });
        const job = await lathe.jobs.create({ model, trainingFile: dataset.id, hyperparameters: hyper });
        const seqs = [];
        for await (const event of lathe.jobs.watch(job.id)) seqs.push(event.seq);
        const done = await lathe.jobs.wait(job.id);
        const reply = await lathe.chat.completions.create({ model: done.fineTunedModel, messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 });
        return { last, report: report.status, seqs, status: done.status, object: reply.object, cookies: document.cookie };
      })(${JSON.stringify({ code, key, jsonl, model: modelName, hyper })})`;
      const result = (await page.evaluate(loop)) as { last: number; report: string; seqs: number[]; status: string; object: string; cookies: string };
      expect(result.last).toBe(1);
      expect(result.report).toBe('valid');
      expect(result.seqs.length).toBeGreaterThan(2);
      expect(new Set(result.seqs).size).toBe(result.seqs.length);
      expect(result.status).toBe('succeeded');
      expect(result.object).toBe('chat.completion');
      expect(result.cookies).toBe('');
    } finally {
      await close();
    }
  }, 420_000);

  it('answers chat through the SDK with the fine-tuned model', async () => {
    const lathe = createLathe({ apiKey: key, baseUrl: platform.url });
    const models = (await lathe.models.list()) as { id: string }[];
    expect(models.map((m) => m.id)).toContain(tuned);
    await lathe.aliases.set('sdk-bot', tuned);
    const reply = await lathe.chat.completions.create({ model: 'sdk-bot', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 });
    expect(reply.model).toBe('sdk-bot');
    expect(Array.isArray(await lathe.usage.get())).toBe(true);
  }, 120_000);
});

describe('the CLI for end users', () => {
  const env = () => ({ HOME: work, XDG_CONFIG_HOME: path.join(work, 'config'), LATHE_API_KEY: undefined, LATHE_BASE_URL: undefined });

  it('logs in to a 0600 profile and runs the loop with --json', async () => {
    const login = await runLathe(['login', '--api-key', key, '--base-url', platform.url, '--json'], env());
    expect(login.code, login.stderr).toBe(0);
    const file = path.join(work, 'config/lathe/config.json');
    expect(JSON.parse(login.stdout).config).toBe(file);
    const { statSync } = await import('node:fs');
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const upload = await runLathe(['datasets', 'upload', path.join(work, 'chats.jsonl'), '--json'], env());
    expect(upload.code, upload.stderr).toBe(0);
    const uploaded = JSON.parse(upload.stdout) as { dataset: { id: string }; report: { status: string } };
    expect(uploaded.report.status).toBe('valid');

    const created = await runLathe(['jobs', 'create', '--model', modelName, '--file', uploaded.dataset.id, '--epochs', '2', '--watch', '--json'], env());
    expect(created.code, created.stderr).toBe(0);
    const lines = created.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
    expect(lines[0]!.job.id).toMatch(/^ftjob-/);
    const events = lines.filter((l) => 'event' in l);
    expect(events.length).toBeGreaterThan(2);
    expect(lines.at(-1)!.job.status).toBe('succeeded');
    const jobId = lines[0]!.job.id as string;

    const list = await runLathe(['jobs', 'list', '--json'], env());
    expect((JSON.parse(list.stdout) as { jobs: { id: string }[] }).jobs.map((j) => j.id)).toContain(jobId);
    const show = await runLathe(['jobs', 'show', jobId, '--json'], env());
    expect(JSON.parse(show.stdout).job.fineTunedModel).toMatch(/^ft:/);
    const evs = await runLathe(['jobs', 'events', jobId, '--json'], env());
    expect((JSON.parse(evs.stdout) as { events: unknown[] }).events.length).toBe(events.length);
    const models = await runLathe(['models', 'list', '--json'], env());
    expect(models.code, models.stderr).toBe(0);
    const chat = await runLathe(['chat', JSON.parse(show.stdout).job.fineTunedModel, '--message', 'hi', '--max-tokens', '4', '--json'], env());
    expect(chat.code, chat.stderr).toBe(0);
    expect(JSON.parse(chat.stdout).usage.completion_tokens).toBeGreaterThan(0);

    const missing = await runLathe(['jobs', 'show', 'ftjob-missing', '--json'], env());
    expect(missing.code).toBe(4);
    expect(JSON.parse(missing.stdout).error.status).toBe(404);
    const noKey = await runLathe(['jobs', 'list', '--json'], { ...env(), XDG_CONFIG_HOME: path.join(work, 'empty') });
    expect(noKey.code).toBe(3);
  }, 420_000);

  it('draws the progress bar and the live loss chart in a pseudo-terminal', async () => {
    const session = `lathe-sdk-${process.pid}`;
    const tmux = (...args: string[]) => run('tmux', args);
    const bin = path.resolve('bin/lathe.mjs');
    const lathe = createLathe({ apiKey: key, baseUrl: platform.url });
    const dataset = (await lathe.datasets.list()).find((d) => d.status === 'VALID' && d.filename === 'chats.jsonl')!;
    const script = path.join(work, 'pty.sh');
    const big = path.join(work, 'pty.jsonl');
    await writeFile(big, jsonl.repeat(Math.ceil(4_000_000 / jsonl.length)));
    await writeFile(
      script,
      `export HOME=${work} XDG_CONFIG_HOME=${path.join(work, 'config')}\n${process.execPath} ${bin} datasets upload ${big}\n${process.execPath} ${bin} jobs create --model ${modelName} --file ${dataset.id} --epochs 4 --watch; echo "exit=$?" >> ${work}/done.log\nsleep 60\n`,
    );
    await tmux('new-session', '-d', '-s', session, '-x', '120', '-y', '40', `bash ${script}`);
    try {
      let uploadSeen = '';
      let chartSeen = '';
      const deadline = Date.now() + 400_000;
      for (;;) {
        const { stdout } = await tmux('capture-pane', '-p', '-t', session);
        if (/\[#+-*\]\s+\d+%/.test(stdout)) uploadSeen ||= stdout;
        if (/[┼┤]/.test(stdout) && /ETA/.test(stdout) && /cost so far/.test(stdout)) chartSeen ||= stdout;
        const done = await readFile(path.join(work, 'done.log'), 'utf8').catch(() => '');
        if (done) {
          expect(done.trim()).toBe('exit=0');
          break;
        }
        if (Date.now() > deadline) throw new Error(`no end:\n${stdout}`);
        await new Promise((r) => setTimeout(r, 300));
      }
      expect(uploadSeen, 'the upload progress bar').toMatch(/\[#+-*\]\s+\d+%/);
      expect(chartSeen, 'the loss chart with ETA and cost').not.toBe('');
    } finally {
      await tmux('kill-session', '-t', session).catch(() => {});
    }
  }, 420_000);
});

