import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { TRPCError } from '@trpc/server';
import { getDb } from '@/server/db';
import { callerFor, callerForKey, createTestKey, createTestUser, type TestUser } from '@/tests/helpers/factories';
import { datasetStore } from './config';
import { FIXTURES } from '../../../../tests/kit/datasets';

let user: TestUser;
let chat: string;

beforeAll(async () => {
  user = await createTestUser();
  chat = await readFile(path.join(FIXTURES, 'good/chat.jsonl'), 'utf8');
});

describe('dataset.createFromText', () => {
  it('stores the file, creates an UPLOADED dataset with its audit entry, and enqueues dataset.validate in the same transaction', async () => {
    const created = await callerFor(user).dataset.createFromText({ filename: '../../etc/chat.jsonl', content: chat });
    expect(created).toMatchObject({ status: 'UPLOADED', filename: 'chat.jsonl', name: 'chat.jsonl', purpose: 'fine-tune', sizeBytes: Buffer.byteLength(chat) });
    expect(created.sha256).toBe(createHash('sha256').update(chat).digest('hex'));
    expect(await datasetStore().has(created.sha256!)).toBe(true);

    const db = getDb();
    const audit = await db.auditLogEntry.findFirst({ where: { action: 'dataset.create', targetId: created.id } });
    expect(audit).toMatchObject({ actorUserId: user.user.id, organizationId: user.organization.id });
    const jobsRows = await db.$queryRawUnsafe<{ data: { v: number; payload: { datasetId: string } } }[]>(
      `SELECT data FROM pgboss.job WHERE name = 'dataset.validate' AND data->'payload'->>'datasetId' = $1`,
      created.id,
    );
    expect(jobsRows).toHaveLength(1);
    expect(jobsRows[0]!.data.v).toBe(1);
  });

  it('works with an API key, recording the key as the actor', async () => {
    const key = await createTestKey(user);
    const created = await (await callerForKey(key)).dataset.createFromText({ filename: 'by-key.jsonl', content: chat, name: 'Keyed' });
    expect(created.name).toBe('Keyed');
    const audit = await getDb().auditLogEntry.findFirstOrThrow({ where: { action: 'dataset.create', targetId: created.id } });
    expect(audit.actorApiKeyId).not.toBeNull();
  });

  it('refuses a checksum that does not match and creates nothing', async () => {
    const before = await getDb().dataset.count({ where: { projectId: user.project.id } });
    const error = await callerFor(user)
      .dataset.createFromText({ filename: 'x.jsonl', content: chat, sha256: 'a'.repeat(64) })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TRPCError);
    expect((error as TRPCError).code).toBe('BAD_REQUEST');
    expect((error as TRPCError).message).toMatch(/does not match the checksum/);
    expect(await getDb().dataset.count({ where: { projectId: user.project.id } })).toBe(before);
  });

  it('accepts the right checksum', async () => {
    const sha256 = createHash('sha256').update(chat).digest('hex');
    const created = await callerFor(user).dataset.createFromText({ filename: 'sum.jsonl', content: chat, sha256 });
    expect(created.sha256).toBe(sha256);
  });

  it('refuses a file over LATHE_MAX_UPLOAD_BYTES with a clear message, before storing it', async () => {
    const previous = process.env.LATHE_MAX_UPLOAD_BYTES;
    process.env.LATHE_MAX_UPLOAD_BYTES = '100';
    try {
      const content = `${chat}\n{"messages":[]}`;
      const error = await callerFor(user).dataset.createFromText({ filename: 'big.jsonl', content }).catch((e: unknown) => e);
      expect((error as TRPCError).code).toBe('BAD_REQUEST');
      expect((error as TRPCError).message).toMatch(/largest dataset Lathe accepts is 100 bytes/);
      expect(await datasetStore().has(createHash('sha256').update(content).digest('hex'))).toBe(false);
      expect((await callerFor(user).dataset.uploadTarget()).maxUploadBytes).toBe(100);
    } finally {
      if (previous === undefined) delete process.env.LATHE_MAX_UPLOAD_BYTES;
      else process.env.LATHE_MAX_UPLOAD_BYTES = previous;
    }
  });

  it('lists the project\'s datasets newest first, filtered by purpose', async () => {
    const caller = callerFor(user);
    const list = await caller.dataset.list();
    expect(list.length).toBeGreaterThanOrEqual(3);
    expect(list.map((d) => d.createdAt.getTime())).toEqual([...list.map((d) => d.createdAt.getTime())].sort((a, b) => b - a));
    expect(await caller.dataset.list({ purpose: 'batch' })).toEqual([]);
  });
});
