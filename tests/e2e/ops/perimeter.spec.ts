// Two web processes on one database, each with a data folder of its own as if on two hosts, behind
// a trusted proxy at 127.0.0.1: where sign-in may send the browser, which client address the
// limits count, sign-in limits and uploads that hold across both processes, and the metrics port.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext } from 'playwright-core';
import { getDb } from '@/server/db';
import { ephemeralPort, startPlatform, type Platform } from '@/scripts/lib/supervisor';
import { launchBrowser } from '@/tests/helpers/browser';
import { createTestKey, createTestUser, TEST_PASSWORD } from '@/tests/helpers/factories';

const FREE_ATTEMPTS = 2;
/** An e-mail's own allowance, over every address it never signed in from. */
const ACCOUNT_FREE_ATTEMPTS = 10 * FREE_ATTEMPTS;
const logs: string[] = [];
const dataDirs: string[] = [];
let a: Platform;
let b: Platform;
let opsPort: number;

/**
 * One web process more on this host. Both share one data directory, as web processes behind one
 * load balancer share the artifact store and the upload parts' directory (docs/security.md).
 */
async function startWebProcess(env: Record<string, string>): Promise<Platform> {
  const dataDir = dataDirs[0] ?? fs.mkdtempSync(path.join(os.tmpdir(), 'lathe-perimeter-'));
  if (!dataDirs.includes(dataDir)) dataDirs.push(dataDir);
  return startPlatform({
    dataDir,
    port: 0,
    processes: ['web'],
    env: { LOG_LEVEL: 'warn', LATHE_TRUSTED_PROXIES: '127.0.0.1', SIGN_IN_FREE_ATTEMPTS: String(FREE_ATTEMPTS), SIGN_IN_FIRST_DELAY_S: '60', ...env },
    log: (line) => logs.push(line),
  }).catch((error: unknown) => {
    throw new Error(`${(error as Error).message}\n${logs.slice(-40).join('\n')}`);
  });
}

beforeAll(async () => {
  opsPort = await ephemeralPort();
  a = await startWebProcess({ WEB_OPS_PORT: String(opsPort) });
  b = await startWebProcess({});
});

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  for (const dir of dataDirs) fs.rmSync(dir, { recursive: true, force: true });
});

type Reply = { status: number; headers: http.IncomingHttpHeaders; text: string };

/** node:http rather than fetch, to pick the local address a request comes from. */
function send(url: string, init: { method?: string; headers?: Record<string, string>; body?: string | Buffer; localAddress?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: init.method ?? 'GET', headers: init.headers, localAddress: init.localAddress }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

type SignInResult = { outcome: 'signed-in' } | { outcome: 'wrong' } | { outcome: 'limited'; waitSeconds: number };

/** A credentials sign-in as the sign-in form makes it; `from` is the address the proxy forwards. */
async function signInOver(web: Platform, email: string, password: string, from: { forwardedFor?: string; localAddress?: string }): Promise<SignInResult> {
  const forwarded: Record<string, string> = from.forwardedFor ? { 'x-forwarded-for': from.forwardedFor } : {};
  const csrf = await send(`${web.url}/api/auth/csrf`, { headers: forwarded, localAddress: from.localAddress });
  const cookie = (csrf.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]).join('; ');
  const body = new URLSearchParams({ csrfToken: (JSON.parse(csrf.text) as { csrfToken: string }).csrfToken, email, password, json: 'true' }).toString();
  const res = await send(`${web.url}/api/auth/callback/credentials`, {
    method: 'POST',
    headers: { ...forwarded, cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body,
    localAddress: from.localAddress,
  });
  // next-auth answers a refused sign-in with 401 and a success with 200, both with the URL to go to.
  expect([200, 401], res.text).toContain(res.status);
  const error = new URL((JSON.parse(res.text) as { url: string }).url).searchParams.get('error');
  if (!error) return { outcome: 'signed-in' };
  const limited = /^RateLimited:(\d+)$/.exec(error);
  if (limited) return { outcome: 'limited', waitSeconds: Number(limited[1]) };
  expect(error).toBe('CredentialsSignin');
  return { outcome: 'wrong' };
}

const uniqueEmail = (tag: string) => `${tag}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.test`;

describe('sign-in redirect', () => {
  it('sends the browser only to a path on its own origin after signing in, whatever the callback says', async () => {
    const elsewhere = http.createServer((_req, res) => res.end('elsewhere'));
    await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
    const elsewherePort = (elsewhere.address() as { port: number }).port;
    let visits = 0;
    elsewhere.on('request', () => visits++);
    const { browser, close } = await launchBrowser();
    try {
      const user = await createTestUser();
      for (const callback of [`/\\127.0.0.1:${elsewherePort}/phish`, `/\t/127.0.0.1:${elsewherePort}/phish`, `//127.0.0.1:${elsewherePort}/phish`]) {
        await (browser as BrowserContext).clearCookies();
        const page = await browser.newPage();
        page.setDefaultTimeout(30_000);
        await page.goto(`${a.url}/sign-in?callbackUrl=${encodeURIComponent(callback)}`);
        await page.getByLabel('E-mail').fill(user.email);
        await page.getByLabel('Password').fill(TEST_PASSWORD);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.waitForURL((url) => !url.pathname.startsWith('/sign-in'));
        const landed = new URL(page.url());
        expect(landed.origin, JSON.stringify(callback)).toBe(new URL(a.url).origin);
        expect(landed.pathname).toBe('/datasets');
        await page.close();
      }
      expect(visits).toBe(0);
    } finally {
      await close();
      await new Promise((resolve) => elsewhere.close(resolve));
    }
  });
});

describe('client addresses', () => {
  it('counts a client that is not a trusted proxy as itself, whatever x-forwarded-for it sends', async () => {
    const results: SignInResult[] = [];
    // Another e-mail and another claimed address each time: only the real address can hold it back.
    for (let i = 0; i <= 4 * FREE_ATTEMPTS; i++) {
      results.push(await signInOver(a, uniqueEmail('spray'), 'wrong-password-1', { localAddress: '127.0.0.2', forwardedFor: `203.0.113.${i + 1}` }));
    }
    expect(results.slice(0, 4 * FREE_ATTEMPTS).every((r) => r.outcome === 'wrong')).toBe(true);
    expect(results.at(-1)).toMatchObject({ outcome: 'limited' });
  });

  it('does not let failures from another address lock a user out', async () => {
    const victim = await createTestUser();
    const attacker = { forwardedFor: '203.0.113.200' };
    const outcomes: string[] = [];
    for (let i = 0; i < 12; i++) outcomes.push((await signInOver(a, victim.email, `guess-${i}`, attacker)).outcome);
    expect(await signInOver(a, victim.email, TEST_PASSWORD, { forwardedFor: '198.51.100.10' })).toEqual({ outcome: 'signed-in' });
    expect(outcomes.slice(0, FREE_ATTEMPTS)).toEqual(Array(FREE_ATTEMPTS).fill('wrong'));
    expect(outcomes.slice(FREE_ATTEMPTS).every((o) => o === 'limited')).toBe(true);
  });

  it('keeps a user signing in from an address they used before while many addresses guess their password', async () => {
    const victim = await createTestUser();
    expect(await signInOver(a, victim.email, TEST_PASSWORD, { forwardedFor: '198.51.100.21' })).toEqual({ outcome: 'signed-in' });
    // Enough addresses, each within its own free attempts, to use up the account's.
    for (let i = 0; i < ACCOUNT_FREE_ATTEMPTS / FREE_ATTEMPTS; i++) {
      for (let j = 0; j < FREE_ATTEMPTS; j++) expect((await signInOver(a, victim.email, `guess-${i}-${j}`, { forwardedFor: `192.0.2.${i + 1}` })).outcome).toBe('wrong');
    }
    const unknown = await signInOver(a, victim.email, TEST_PASSWORD, { forwardedFor: '198.51.100.22' });
    expect(unknown).toMatchObject({ outcome: 'limited' });
    expect((unknown as { waitSeconds: number }).waitSeconds).toBeLessThanOrEqual(60);
    expect(await signInOver(b, victim.email, TEST_PASSWORD, { forwardedFor: '198.51.100.21' })).toEqual({ outcome: 'signed-in' });
  });
});

describe('limits and uploads shared by every web process', () => {
  it('holds back an address on one web process after its failures on the other', async () => {
    const email = uniqueEmail('shared');
    const from = { forwardedFor: '198.51.100.77' };
    for (let i = 0; i < FREE_ATTEMPTS; i++) expect((await signInOver(a, email, 'wrong-password-1', from)).outcome).toBe('wrong');
    expect(await signInOver(b, email, 'wrong-password-1', from)).toMatchObject({ outcome: 'limited' });
  });

  it('counts password reset requests across web processes', async () => {
    const email = uniqueEmail('reset');
    const reset = (web: Platform) =>
      send(`${web.url}/api/trpc/auth.requestPasswordReset`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': '198.51.100.90' },
        body: JSON.stringify({ json: { email } }),
      });
    for (let i = 0; i < 5; i++) expect((await reset(i % 2 ? a : b)).status).toBe(200);
    const refused = await reset(b);
    expect(refused.status).toBe(429);
    expect(refused.text).toMatch(/Too many reset requests/);
  });

  it('resumes an upload begun on one web process on the other, and finishes it there as one dataset', async () => {
    const user = await createTestUser();
    const auth = { authorization: `Bearer ${await createTestKey(user)}`, 'tus-resumable': '1.0.0' };
    const data = Buffer.from(Array.from({ length: 400 }, (_, i) => JSON.stringify({ prompt: `p${i}`, completion: `c${i}` })).join('\n') + '\n');
    const half = Math.floor(data.length / 2);
    const created = await fetch(`${a.url}/api/uploads`, {
      method: 'POST',
      headers: { ...auth, 'upload-length': String(data.length), 'upload-metadata': `filename ${Buffer.from('shared.jsonl').toString('base64')}` },
    });
    expect(created.status).toBe(201);
    const location = created.headers.get('location')!;
    const patch = (web: Platform, offset: number, body: Buffer) =>
      fetch(`${web.url}${location}`, { method: 'PATCH', headers: { ...auth, 'upload-offset': String(offset), 'content-type': 'application/offset+octet-stream' }, body: new Uint8Array(body) });

    expect((await patch(a, 0, data.subarray(0, half))).status).toBe(204);
    const head = await fetch(`${b.url}${location}`, { method: 'HEAD', headers: auth });
    expect(head.status).toBe(200);
    expect(head.headers.get('upload-offset')).toBe(String(half));
    // A stale offset is refused by the other process too.
    expect((await patch(b, 0, data.subarray(0, half))).status).toBe(409);

    const finished = await patch(b, half, data.subarray(half));
    expect(finished.status).toBe(204);
    const datasetId = finished.headers.get('lathe-dataset-id');
    expect(datasetId).toBeTruthy();
    const row = await getDb().dataset.findUniqueOrThrow({ where: { id: datasetId! } });
    expect(row.sha256).toBe(createHash('sha256').update(data).digest('hex'));
    expect(row.filename).toBe('shared.jsonl');
    expect(await getDb().dataset.count({ where: { projectId: user.project.id } })).toBe(1);
    expect((await fetch(`${a.url}${location}`, { method: 'HEAD', headers: auth })).status).toBe(404);
  });
});

describe('metrics', () => {
  it('serves no metrics on the public port', async () => {
    const res = await fetch(`${a.url}/metrics`);
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain('lathe_http_requests_total');
  });

  it('serves metrics on the ops port with one route label per known route, however many paths clients invent', async () => {
    await fetch(`${a.url}/api/health`);
    for (let i = 0; i < 5; i++) {
      await fetch(`${a.url}/v1/invented-${i}`);
      await fetch(`${a.url}/api/invented-${i}`);
      await fetch(`${a.url}/invented-page-${i}`);
    }
    const text = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text();
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toMatch(/lathe_http_requests_total\{[^}]*route="\/api\/health"[^}]*\} \d+/);
    const routes = new Set([...text.matchAll(/lathe_http_requests_total\{[^}]*route="([^"]*)"/g)].map((m) => m[1]!));
    expect([...routes].filter((route) => route.includes('invented'))).toEqual([]);
    expect(routes.has('/v1/[...path]')).toBe(true);
    expect(routes.has('unmatched')).toBe(true);
    const health = await fetch(`http://127.0.0.1:${opsPort}/health`);
    expect(await health.json()).toMatchObject({ status: 'ok' });
  });
});
