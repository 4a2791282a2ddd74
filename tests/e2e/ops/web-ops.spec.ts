// The web process over real HTTP: health, the admin token, the openai client against /v1,
// malformed input, and a graceful stop (metrics: perimeter.spec.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { startWeb } from '@/tests/helpers/web';
import { createTestKey, createTestUser } from '@/tests/helpers/factories';
import type { Platform } from '@/scripts/lib/supervisor';

const ADMIN_TOKEN = 'admin-token-for-tests-0123456789';
let web: Platform;

beforeAll(async () => {
  web = await startWeb({ ADMIN_TOKEN });
});
afterAll(async () => {
  await web?.stop();
});

describe('web process', () => {
  it('reports health with the database reachable', async () => {
    const res = await fetch(`${web.url}/api/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', database: 'ok' });
  });

  it('trades the admin token for an admin session cookie, and refuses a wrong or malformed one', async () => {
    expect((await fetch(`${web.url}/api/auth/token`, { method: 'POST', body: JSON.stringify({ token: 'wrong-token-value' }) })).status).toBe(401);
    expect((await fetch(`${web.url}/api/auth/token`, { method: 'POST', body: '{not json' })).status).toBe(400);
    const res = await fetch(`${web.url}/api/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: ADMIN_TOKEN }) });
    expect(res.status).toBe(200);
    const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
    expect(cookie).toMatch(/next-auth\.session-token=/);
    const users = await fetch(`${web.url}/api/trpc/admin.users`, { headers: { cookie } });
    expect(users.status).toBe(200);
    const anonymous = await fetch(`${web.url}/api/trpc/admin.users`);
    expect(anonymous.status).toBe(401);
  });

  it('serves /v1/models to the official openai client and refuses a bad key with 401', async () => {
    const key = await createTestKey(await createTestUser());
    const client = new OpenAI({ apiKey: key, baseURL: `${web.url}/v1`, maxRetries: 0 });
    const page = await client.models.list();
    expect(Array.isArray(page.data)).toBe(true);
    const bad = new OpenAI({ apiKey: 'lk-wrong', baseURL: `${web.url}/v1`, maxRetries: 0 });
    const error = await bad.models.list().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((error as InstanceType<typeof OpenAI.AuthenticationError>).code).toBe('invalid_api_key');
  });

  it('answers malformed tRPC input with 400, not 500', async () => {
    const res = await fetch(`${web.url}/api/trpc/auth.signUp`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"json":{"email":42}}' });
    expect(res.status).toBe(400);
    const garbage = await fetch(`${web.url}/api/trpc/auth.signUp`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '%%%' });
    expect(garbage.status).toBeLessThan(500);
  });

  it('stops gracefully on SIGTERM', async () => {
    const child = web.children.get('web')!;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await web.stop();
    expect(await exited).toBe(0);
  });
});
