// A running web process under generated bad requests: every /v1 route and every tRPC procedure
// gets malformed ids, query values, JSON bodies and content types, and bodies over the size
// limit. None may answer 5xx or break the connection, and every 4xx comes in the route's own
// error shape. The cases come from a seeded generator, so a failure names a request that
// reproduces. Also here: where the body size limit applies, and that it applies before the body
// is read.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appRouter } from '@/server/api/root';
import { encodeSession, sessionCookieName } from '@/server/auth/session';
import { getDb } from '@/server/db';
import { bufferSource } from '@/server/services/artifacts/local-store';
import { datasetStore } from '@/server/services/datasets/platform/config';
import { startWeb } from '@/tests/helpers/web';
import { createTestKey, createTestUser } from '@/tests/helpers/factories';
import type { Platform } from '@/scripts/lib/supervisor';

const BODY_LIMIT = 64 * 1024;
const RATE_LIMIT_RPM = 30;
const CASES_PER_V1_ROUTE = 200;
const CASES_PER_PROCEDURE = 8;
/** Time the generated requests may take; on a slow machine fewer of them are sent. */
const V1_BUDGET_MS = 20_000;
const TRPC_BUDGET_MS = 8_000;
/** Generation requests are spread over this many keys so the rate limit stays out of the way. */
const GENERATION_KEYS = 20;

let web: Platform;
let hub: http.Server;
let key: string;
let generationKeys: string[];
let cookie: string;
/** Ids of real rows of the caller's, so that requests also get past the lookups. */
const real = { model: '', file: '', job: '', resultFile: '', rowIds: [] as string[] };

beforeAll(async () => {
  // The Hub procedures reach this stub, which knows no model, instead of the internet.
  hub = http.createServer((req, res) => {
    res.writeHead(req.url?.startsWith('/api/models?') ? 200 : 404, { 'content-type': 'application/json' });
    res.end(req.url?.startsWith('/api/models?') ? '[]' : '{"error":"Repository not found"}');
  });
  await new Promise<void>((resolve) => hub.listen(0, '127.0.0.1', resolve));
  const user = await createTestUser();
  await getDb().creditLedgerEntry.create({ data: { organizationId: user.organization.id, kind: 'GRANT', amount: 100, memo: 'fuzz' } });
  key = await createTestKey(user);
  const scope = { organizationId: user.organization.id, projectId: user.project.id };
  const db = getDb();
  const model = await db.baseModel.create({ data: { ...scope, name: `fuzz-${user.organization.id}`, source: 'FOLDER', status: 'READY', artifacts: { hf: { files: {} } } } });
  const dataset = await db.dataset.create({ data: { ...scope, name: 'fuzz.jsonl', status: 'VALID' } });
  const job = { ...scope, baseModelId: model.id, trainingDatasetId: dataset.id, hyperparameters: {}, seed: 1 };
  const queued = await db.trainingJob.create({ data: { ...job, status: 'queued' } });
  const metrics = await datasetStore().put(bufferSource(Buffer.from('step,train_loss\n1,2.5\n')));
  const done = await db.trainingJob.create({ data: { ...job, status: 'succeeded', finishedAt: new Date(), artifacts: { metrics: { sha256: metrics.sha256, size: metrics.size } } } });
  Object.assign(real, { model: model.name, file: `file-${dataset.id}`, job: `ftjob-${queued.id}`, resultFile: `file-${done.id}-metrics`, rowIds: [model.id, model.name, dataset.id, queued.id, done.id] });
  generationKeys = [];
  // One at a time: each key's audit entry takes the audit log's lock.
  for (let i = 0; i < GENERATION_KEYS; i++) generationKeys.push(await createTestKey(user));
  const session = await encodeSession({ userId: user.user.id, email: user.user.email, role: 'USER', name: user.user.name }, process.env.AUTH_SECRET!, user.user.sessionVersion);
  cookie = `${sessionCookieName(false)}=${session}`;
  web = await startWeb({
    LATHE_MAX_JSON_BODY_BYTES: String(BODY_LIMIT),
    LATHE_RATE_LIMIT_RPM: String(RATE_LIMIT_RPM),
    HF_ENDPOINT: `http://127.0.0.1:${(hub.address() as AddressInfo).port}`,
    ADMIN_TOKEN: 'admin-token-for-malformed-input-tests',
  });
});

afterAll(async () => {
  await web?.stop();
  await new Promise((resolve) => hub?.close(resolve));
});

// ---------------------------------------------------------------------------------------------
// Raw HTTP: paths are sent byte for byte (fetch would re-encode them) and a broken connection is
// an answer of its own.

type Sent = { method: string; path: string; headers?: Record<string, string>; body?: string | Buffer };
type Answer = { status: number; text: string; headers: http.IncomingHttpHeaders } | { failed: string };

function send(request: Sent, agent: http.Agent | false = false, timeoutMs = 15_000): Promise<Answer> {
  const url = new URL(web.url);
  return new Promise((resolve) => {
    const body = request.body === undefined ? undefined : Buffer.isBuffer(request.body) ? request.body : Buffer.from(request.body);
    const req = http.request(
      { host: url.hostname, port: url.port, method: request.method, path: request.path, agent, headers: { ...(body ? { 'content-length': String(body.length) } : {}), ...request.headers }, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
        res.on('error', (error) => resolve({ failed: `response broke: ${error.message}` }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (error) => resolve({ failed: `connection broke: ${error.message}` }));
    req.end(body);
  });
}

/**
 * Starts a body (of `declared` bytes, or chunked with no length), writes only its first `write`
 * bytes (by default four times the limit) and waits for the answer. A server that reads the whole
 * body before it answers never answers this; the kernel's socket buffers, which take tens of
 * megabytes here, would hide that from a client that kept writing.
 */
function sendPartial(
  request: Omit<Sent, 'body'>,
  framing: 'declared' | 'chunked',
  { declared = 64 * 1024 * 1024, write = 4 * BODY_LIMIT, timeoutMs = 15_000 } = {},
): Promise<{ status: number; text: string; headers: http.IncomingHttpHeaders }> {
  const url = new URL(web.url);
  const body = Buffer.alloc(write, 0x20);
  body.write('{"model":"x","messages":[{"role":"user","content":"');
  return new Promise((resolve, reject) => {
    const headers = { ...(framing === 'declared' ? { 'content-length': String(declared) } : {}), ...request.headers };
    const req = http.request({ host: url.hostname, port: url.port, method: request.method, path: request.path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), headers: res.headers });
        req.destroy();
      });
    });
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms of a partly sent body: the server waits for all of it`)), timeoutMs);
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.write(body);
  });
}

// ---------------------------------------------------------------------------------------------
// The generator.

function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  return { next, int, pick, chance: (p: number) => next() < p };
}
type Rng = ReturnType<typeof prng>;

/** Path segments and query values, already as they go on the wire. */
const BAD_SEGMENTS = [
  '%', '%%', '%zz', '%2', '%E0%A4%A', '%00', 'a%00b', '%ED%A0%80', 'x%ED%BF%BFy', '%C0%AF', '%FF%FE', '%F0%9F%A6%99', '%25', '%252525',
  '%2F', '..', '%2e%2e', 'file-%00', 'file-%ED%A0%80', 'ftjob-%00', 'ftjob-', 'file-', 'file-x-metrics', 'ftjob-x%25', 'A'.repeat(3000),
  'ftjob-' + '9'.repeat(40), '-1', '0', '99999999999999999999', '2147483648', '-2147483649', '1e309', 'NaN', 'Infinity', 'null', 'undefined',
  '%7B%7D', '%5B%5D', "'%20OR%201=1--", '%0A', '%0D%0A', '%5C', '%22', 'ftevent-x-99999999999999', 'ftevent-x-2147483648', 'ftevent--1',
  '%E2%80%AE', '%EF%BB%BF', '+', '%20', '~', 'a;b', 'a,b',
];

function randomSegment(rng: Rng): string {
  if (rng.chance(0.2)) {
    const id = encodeURIComponent(rng.pick([real.model, real.file, real.job, real.resultFile]));
    return rng.pick([id, `${id}%00`, `${id}%`, `${id}%ED%A0%80`, `${id}x`, `${id}/..`]);
  }
  if (rng.chance(0.7)) return rng.pick(BAD_SEGMENTS);
  let out = '';
  const length = 1 + rng.int(12);
  for (let i = 0; i < length; i++) out += rng.chance(0.5) ? `%${rng.int(256).toString(16).toUpperCase().padStart(2, '0')}` : rng.pick(['a', 'Z', '0', '-', '_', '.', '%']);
  return out;
}

const DEEP = 3000;
/** JSON values that break schemas, databases or parsers. */
const BAD_VALUES: unknown[] = [
  '\u0000', 'a\u0000b', '\ud800', 'x\udfffy', '', ' ', 'A'.repeat(5000), '%', '%zz', '../../etc/passwd', '${7*7}', '<script>', '🦙',
  -1, 0, 1.5, 2147483648, -2147483649, 9007199254740993, 1e308, -1e308, true, false, null, [], {}, [[[]]], ['\u0000'], { a: '\ud800' },
  { __proto__: null, constructor: { prototype: {} } }, 'ftjob-\u0000', 'file-\ud800', 'ftevent-x-99999999999999', '2147483648',
];

/** Whole bodies that are not the JSON a route expects. */
const BAD_BODIES: (string | Buffer)[] = [
  '', ' ', '{', '{"a":', '[', 'null', 'true', '0', '"text"', '{"a":1}garbage', '\u0000', '\ufeff{}', '{"a":"\\ud800"}', '{"a":"\\u0000"}',
  '['.repeat(DEEP) + ']'.repeat(DEEP), '{"a":'.repeat(DEEP) + '1' + '}'.repeat(DEEP), '1e999', '{"model":1e999}', '{"__proto__":{"polluted":1}}',
  Buffer.from([0xff, 0xfe, 0x7b, 0x7d]), Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d]), 'a=b&c=%zz',
  '--x\r\nContent-Disposition: form-data; name="file"\r\n\r\n{}\r\n--x--\r\n',
];

const CONTENT_TYPES = [
  'application/json', 'application/json', 'application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded',
  'multipart/form-data', 'multipart/form-data; boundary=', 'multipart/form-data; boundary=x', 'application/octet-stream', 'application/json; charset=utf-16',
  '%%%', 'application/jsonx', undefined,
] as const;

function badValue(rng: Rng): unknown {
  return rng.chance(0.85) ? rng.pick(BAD_VALUES) : { nested: badValue(rng) };
}

/** An object with the route's own fields, some set to bad values, sometimes with keys it does not know. */
function badObject(rng: Rng, fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, good] of Object.entries(fields)) if (rng.chance(0.7)) out[name] = rng.chance(0.5) ? badValue(rng) : good ?? rng.pick(real.rowIds);
  if (rng.chance(0.2)) out[rng.pick(['method', 'unknown_key', '\u0000', 'metadata', '__proto__'])] = badValue(rng);
  return out;
}

/** A body just over the limit: valid JSON, so only its size is wrong. */
const oversized = () => JSON.stringify({ padding: 'x'.repeat(BODY_LIMIT + 1) });

function jsonBody(rng: Rng, fields: Record<string, unknown>): { body: string | Buffer; headers: Record<string, string>; oversized: boolean } {
  const type = rng.pick(CONTENT_TYPES);
  const headers: Record<string, string> = type === undefined ? {} : { 'content-type': type };
  const roll = rng.next();
  if (roll < 0.05) return { body: oversized(), headers: { 'content-type': 'application/json' }, oversized: true };
  if (roll < 0.4) return { body: rng.pick(BAD_BODIES), headers, oversized: false };
  const value = rng.chance(0.9) ? badObject(rng, fields) : badValue(rng);
  return { body: JSON.stringify(value), headers, oversized: false };
}

function badQuery(rng: Rng, params: string[]): string {
  if (rng.chance(0.15)) return rng.pick(['?', '?&&=&', '?%', '?=%zz', '?limit', '?after=%00&after=%ED%A0%80', '?' + 'a=1&'.repeat(500)]);
  const parts: string[] = [];
  const count = 1 + rng.int(3);
  for (let i = 0; i < count; i++) parts.push(`${rng.chance(0.85) && params.length ? rng.pick(params) : randomSegment(rng)}=${randomSegment(rng)}`);
  return `?${parts.join('&')}`;
}

// ---------------------------------------------------------------------------------------------
// What a correct answer looks like.

type Shape = 'openai' | 'trpc';

function shapeProblem(shape: Shape, answer: { status: number; text: string }): string | null {
  if (answer.status < 400) return null;
  let body: unknown;
  try {
    body = JSON.parse(answer.text);
  } catch {
    return 'the error body is not JSON';
  }
  if (shape === 'openai') {
    const error = (body as { error?: Record<string, unknown> }).error;
    const ok = error && typeof error.message === 'string' && typeof error.type === 'string' && (typeof error.code === 'string' || error.code === null) && (typeof error.param === 'string' || error.param === null);
    return ok ? null : "the error is not OpenAI's {error: {message, type, param, code}}";
  }
  const items = Array.isArray(body) ? body : [body];
  const ok = items.every((item) => {
    const error = (item as { error?: { json?: { message?: unknown; data?: { httpStatus?: unknown; code?: unknown } } } }).error?.json;
    return !error || (typeof error.message === 'string' && typeof error.data?.code === 'string' && typeof error.data.httpStatus === 'number');
  });
  return ok && items.some((item) => (item as { error?: unknown }).error) ? null : "the error is not tRPC's {error: {json: {message, code, data}}}";
}

type Case = Sent & { shape: Shape; expect413?: boolean; label: string };
type Failure = { label: string; request: string; answer: string };

/**
 * Sends the cases, a few at a time, until they are done or the time budget is spent: each route's
 * cases are taken in turn, so a budget cut short still reaches every route.
 */
async function runCases(perRoute: Case[][], budgetMs: number, concurrency = 6): Promise<{ ran: number; failures: Failure[]; statuses: Map<number, number> }> {
  const longest = Math.max(...perRoute.map((c) => c.length));
  const cases = Array.from({ length: longest }, (_, i) => perRoute.flatMap((c) => (i < c.length ? [c[i]!] : []))).flat();
  const deadline = Date.now() + budgetMs;
  const failures: Failure[] = [];
  const statuses = new Map<number, number>();
  let next = 0;
  const describeRequest = (c: Case) => `${c.method} ${c.path.slice(0, 200)} ${JSON.stringify(c.headers ?? {})} ${c.body === undefined ? '' : JSON.stringify(c.body.toString().slice(0, 200))}`;
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const worker = async () => {
    while (next < cases.length && Date.now() < deadline) {
      const c = cases[next++]!;
      const answer = await send(c, agent);
      if ('failed' in answer) {
        failures.push({ label: c.label, request: describeRequest(c), answer: answer.failed });
        continue;
      }
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      const problem =
        answer.status >= 500 ? `answered ${answer.status}` : c.expect413 && answer.status !== 413 ? `an oversized body answered ${answer.status}, not 413` : shapeProblem(c.shape, answer);
      if (problem) failures.push({ label: c.label, request: describeRequest(c), answer: `${problem}: ${answer.status} ${answer.text.slice(0, 300)}` });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  agent.destroy();
  return { ran: next, failures, statuses };
}

function report(failures: Failure[]): string {
  const byLabel = new Map<string, number>();
  for (const f of failures) byLabel.set(f.label, (byLabel.get(f.label) ?? 0) + 1);
  return [`${failures.length} bad answers: ${[...byLabel].map(([l, n]) => `${l} ×${n}`).join(', ')}`, ...failures.slice(0, 15).map((f) => `${f.label}: ${f.request}\n  → ${f.answer}`)].join('\n');
}

// ---------------------------------------------------------------------------------------------
// The routes.

type V1Route = { method: string; path: string; query?: string[]; body?: Record<string, unknown> | 'multipart'; generation?: boolean };

const v1Routes = (): V1Route[] => [
  { method: 'GET', path: '/v1/models' },
  { method: 'GET', path: '/v1/models/{id}' },
  { method: 'GET', path: '/v1/files', query: ['purpose', 'limit', 'order', 'after'] },
  { method: 'POST', path: '/v1/files', body: 'multipart' },
  { method: 'GET', path: '/v1/files/{id}' },
  { method: 'DELETE', path: '/v1/files/{id}' },
  { method: 'GET', path: '/v1/files/{id}/content' },
  { method: 'GET', path: '/v1/fine_tuning/jobs', query: ['after', 'limit'] },
  {
    method: 'POST',
    path: '/v1/fine_tuning/jobs',
    body: { model: real.model, training_file: real.file, validation_file: real.file, hyperparameters: { n_epochs: 1 }, suffix: 'x', seed: 1, metadata: { a: 'b' }, method: { type: 'supervised' } },
  },
  { method: 'GET', path: '/v1/fine_tuning/jobs/{id}' },
  { method: 'POST', path: '/v1/fine_tuning/jobs/{id}/cancel' },
  { method: 'GET', path: '/v1/fine_tuning/jobs/{id}/checkpoints', query: ['after', 'limit'] },
  { method: 'GET', path: '/v1/fine_tuning/jobs/{id}/events', query: ['after', 'limit'] },
  { method: 'POST', path: '/v1/chat/completions', body: { model: 'tiny', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4, stream: false, temperature: 1 }, generation: true },
  { method: 'POST', path: '/v1/completions', body: { model: 'tiny', prompt: 'hi', max_tokens: 4, stream: false }, generation: true },
];

function multipartBody(rng: Rng): { body: string | Buffer; headers: Record<string, string>; oversized: boolean } {
  const boundary = rng.pick(['b0undary', '', 'x'.repeat(100), '%00']);
  const bad = badValue(rng);
  const purpose = rng.chance(0.5) ? (typeof bad === 'string' ? bad : JSON.stringify(bad)) : 'fine-tune';
  const filename = rng.pick(['a.jsonl', '\u0000.jsonl', '../../x', '%ED%A0%80', '']);
  const content = rng.pick(['{"messages":[]}\n', '\u0000', 'not json', '']);
  const parts = [
    rng.chance(0.8) ? `--${boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\n${purpose}\r\n` : '',
    rng.chance(0.8) ? `--${boundary}\r\nContent-Disposition: form-data; name="${rng.pick(['file', 'other', '\u0000'])}"; filename="${filename}"\r\nContent-Type: application/jsonl\r\n\r\n${content}\r\n` : '',
    rng.chance(0.8) ? `--${boundary}--\r\n` : '--',
  ];
  const type = rng.chance(0.8) ? `multipart/form-data; boundary=${boundary}` : String(rng.pick(CONTENT_TYPES));
  return { body: parts.join(''), headers: { 'content-type': type }, oversized: false };
}

function v1Cases(route: V1Route, rng: Rng, keys: () => string): Case[] {
  const cases: Case[] = [];
  for (let i = 0; i < CASES_PER_V1_ROUTE; i++) {
    let path = route.path.replace('{id}', () => randomSegment(rng));
    const sent = route.body === undefined ? null : route.body === 'multipart' ? multipartBody(rng) : jsonBody(rng, route.body);
    // An oversized body comes alone, so that 413 is the one right answer.
    if (!sent?.oversized && (route.query || rng.chance(0.2))) path += badQuery(rng, route.query ?? []);
    cases.push({
      label: `${route.method} ${route.path}`,
      method: route.method,
      path,
      shape: 'openai',
      expect413: sent?.oversized,
      headers: { authorization: `Bearer ${route.generation ? keys() : key}`, ...sent?.headers },
      body: sent?.body,
    });
  }
  return cases;
}

type Procedure = { path: string; type: 'query' | 'mutation'; fields: Record<string, unknown> };

/** The procedures and the keys of their input objects, read from the router itself. */
function procedures(): Procedure[] {
  type ZodLike = { _zod?: { def: { type: string; shape?: Record<string, unknown>; innerType?: ZodLike; in?: ZodLike } } };
  const objectOf = (schema: ZodLike | undefined): ZodLike | undefined => {
    const def = schema?._zod?.def;
    if (!def || def.type === 'object') return schema;
    return objectOf(def.innerType ?? def.in);
  };
  const all = (appRouter as unknown as { _def: { procedures: Record<string, { _def: { type: 'query' | 'mutation'; inputs: ZodLike[] } }> } })._def.procedures;
  return Object.entries(all).map(([path, p]) => ({
    path,
    type: p._def.type,
    // No good value of their own: the generator puts the id of a real row there.
    fields: Object.fromEntries(Object.keys(objectOf(p._def.inputs[0])?._zod?.def.shape ?? {}).map((k) => [k, undefined])),
  }));
}

function trpcCases(procedure: Procedure, rng: Rng): Case[] {
  const cases: Case[] = [];
  for (let i = 0; i < CASES_PER_PROCEDURE; i++) {
    const auth: Record<string, string> = rng.chance(0.5) ? { cookie } : { authorization: `Bearer ${key}` };
    const batch = rng.chance(0.15);
    const path = `/api/trpc/${batch ? `${procedure.path},${procedure.path}` : procedure.path}`;
    const input = rng.chance(0.85) ? badObject(rng, procedure.fields) : badValue(rng);
    const wrapped = batch ? { 0: { json: input }, 1: { json: badValue(rng) } } : { json: input };
    const label = `tRPC ${procedure.path}`;
    if (procedure.type === 'query') {
      const raw = rng.chance(0.3) ? randomSegment(rng) : encodeURIComponent(JSON.stringify(wrapped));
      cases.push({ label, method: 'GET', path: `${path}?${batch ? 'batch=1&' : ''}input=${raw}`, shape: 'trpc', headers: auth });
    } else {
      const sent = rng.chance(0.6) ? { body: JSON.stringify(wrapped), headers: { 'content-type': 'application/json' }, oversized: false } : jsonBody(rng, {});
      cases.push({ label, method: 'POST', path: `${path}${batch ? '?batch=1' : ''}`, shape: 'trpc', expect413: sent.oversized, headers: { ...auth, ...sent.headers }, body: sent.body });
    }
  }
  return cases;
}

describe('generated malformed requests', () => {
  it('answers every /v1 route with a 4xx in OpenAI\'s shape, never a 5xx or a broken connection', async () => {
    const rng = prng(1913);
    let turn = 0;
    const nextKey = () => generationKeys[turn++ % generationKeys.length]!;
    const routes = v1Routes();
    const started = Date.now();
    const { ran, failures, statuses } = await runCases(routes.map((route) => v1Cases(route, rng, nextKey)), V1_BUDGET_MS);
    console.log(`/v1: ${ran} of ${routes.length * CASES_PER_V1_ROUTE} requests in ${Date.now() - started} ms; statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
    expect(ran).toBeGreaterThanOrEqual(routes.length);
    expect(failures, report(failures)).toEqual([]);
  });

  it('answers every tRPC procedure with a 4xx in tRPC\'s shape, never a 5xx or a broken connection', async () => {
    const rng = prng(2113);
    const all = procedures();
    const started = Date.now();
    const { ran, failures, statuses } = await runCases(all.map((p) => trpcCases(p, rng)), TRPC_BUDGET_MS);
    console.log(`tRPC: ${ran} of ${all.length * CASES_PER_PROCEDURE} requests in ${Date.now() - started} ms; statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
    expect(ran).toBeGreaterThanOrEqual(all.length);
    expect(failures, report(failures)).toEqual([]);
  });
});

describe('request body limit', () => {
  const v1Json = { 'content-type': 'application/json' };

  it('answers a /v1 body declared over the limit with 413 in OpenAI\'s shape without reading it', async () => {
    const res = await sendPartial({ method: 'POST', path: '/v1/chat/completions', headers: { ...v1Json, authorization: `Bearer ${key}` } }, 'declared');
    expect(res.status).toBe(413);
    expect(JSON.parse(res.text)).toEqual({ error: { message: expect.stringContaining('64 KiB'), type: 'invalid_request_error', param: null, code: 'request_too_large' } });
    // So that the rest of the body is not received either.
    expect(res.headers.connection).toBe('close');
  });

  it('stops reading a chunked /v1 body at the limit and answers 413', async () => {
    const res = await sendPartial({ method: 'POST', path: '/v1/fine_tuning/jobs', headers: { ...v1Json, authorization: `Bearer ${key}` } }, 'chunked');
    expect(res.status).toBe(413);
    expect(JSON.parse(res.text).error.code).toBe('request_too_large');
  });

  it('reads no /v1 body before the key is checked', async () => {
    const res = await sendPartial({ method: 'POST', path: '/v1/chat/completions', headers: { ...v1Json, authorization: 'Bearer lk-not-a-key' } }, 'declared');
    expect(res.status).toBe(401);
  });

  it('reads no generation body once the caller is over the rate limit', async () => {
    const limited = `Bearer ${await createTestKey(await createTestUser())}`;
    for (let i = 0; i < RATE_LIMIT_RPM; i++) {
      const answer = await send({ method: 'POST', path: '/v1/chat/completions', headers: { ...v1Json, authorization: limited }, body: '{}' });
      expect('status' in answer && answer.status).toBe(400);
    }
    // Within the size limit, so that only the order of the checks decides the answer.
    const res = await sendPartial({ method: 'POST', path: '/v1/chat/completions', headers: { ...v1Json, authorization: limited } }, 'declared', { declared: BODY_LIMIT, write: 1024 });
    expect(res.status).toBe(429);
  });

  it('answers an oversized tRPC body with 413 in tRPC\'s shape', async () => {
    for (const framing of ['declared', 'chunked'] as const) {
      const res = await sendPartial({ method: 'POST', path: '/api/trpc/project.create', headers: { ...v1Json, cookie } }, framing);
      expect(res.status, framing).toBe(413);
      expect(JSON.parse(res.text), framing).toMatchObject({ error: { json: { data: { code: 'PAYLOAD_TOO_LARGE', httpStatus: 413, reason: 'request_too_large' } } } });
      expect(res.headers.connection, framing).toBe('close');
    }
  });

  it('answers oversized bodies on the auth routes with 413 and a JSON error', async () => {
    for (const [path, type] of [
      ['/api/auth/token', 'application/json'],
      ['/api/auth/callback/credentials', 'application/x-www-form-urlencoded'],
    ] as const) {
      const res = await sendPartial({ method: 'POST', path, headers: { 'content-type': type } }, 'chunked');
      expect(res.status, path).toBe(413);
      expect(JSON.parse(res.text), path).toEqual({ error: expect.stringContaining('64 KiB') });
      expect(res.headers.connection, path).toBe('close');
    }
  });

  it('still accepts a body under the limit', async () => {
    const answer = await send({ method: 'POST', path: '/api/auth/token', headers: v1Json, body: JSON.stringify({ token: 'admin-token-for-malformed-input-tests', padding: 'x'.repeat(BODY_LIMIT - 200) }) });
    expect('status' in answer && answer.status).toBe(200);
  });
});
