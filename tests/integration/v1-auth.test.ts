import { describe, expect, it } from 'vitest';
import { GET as listModels } from '@/app/v1/models/route';
import { callerFor, createTestKey, createTestUser } from '@/tests/helpers/factories';

const call = (authorization?: string) =>
  listModels(new Request('http://lathe.test/v1/models', { headers: authorization ? { authorization } : {} }), { params: Promise.resolve({}) });

describe('/v1 authentication', () => {
  it('accepts a valid key and lists the models its project can use', async () => {
    const u = await createTestUser();
    const res = await call(`Bearer ${await createTestKey(u)}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ object: 'list', data: expect.any(Array) });
  });

  it.each([
    ['missing', undefined, 'missing_api_key'],
    ['unknown', 'Bearer lk-not-a-real-key-at-all', 'invalid_api_key'],
    ['malformed', 'Basic dXNlcjpwYXNz', 'invalid_api_key'],
  ])('answers 401 in OpenAI\'s shape for a %s key', async (_label, header, code) => {
    const res = await call(header);
    expect(res.status).toBe(401);
    const body = await res.json();
    expect(body).toEqual({ error: { message: expect.any(String), type: 'authentication_error', param: null, code } });
  });

  it('answers 401 for a revoked key', async () => {
    const u = await createTestUser();
    const key = await createTestKey(u);
    const [row] = await callerFor(u).apiKey.list();
    await callerFor(u).apiKey.revoke({ id: row!.id });
    const res = await call(`Bearer ${key}`);
    expect(res.status).toBe(401);
    expect((await res.json()).error.code).toBe('invalid_api_key');
  });
});
