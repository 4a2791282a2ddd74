import { describe, expect, it } from 'vitest';
import { getDb } from '@/server/db';
import { createTestUser } from '@/tests/helpers/factories';
import { verifyAuditChain } from '@/server/services/audit/verify-audit-chain';
import { runLathe } from '@/tests/helpers/cli';
import { recordAudit } from '@/server/services/audit/record-audit';
import { grantCredits } from '@/server/services/credits/credits';

describe('audit log hash chain', () => {
  it('records mutations in their transaction and links each entry to the previous one', async () => {
    const u = await createTestUser();
    const entry = await getDb().auditLogEntry.findFirstOrThrow({ where: { action: 'user.create', targetId: u.user.id } });
    expect(entry.organizationId).toBe(u.organization.id);
    expect(entry.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(entry.chain).toBe(`org:${u.organization.id}`);
    const previous = await getDb().auditLogEntry.findFirst({ where: { chain: entry.chain, id: { lt: entry.id } }, orderBy: { id: 'desc' } });
    expect(entry.prevHash).toBe(previous?.hash ?? '0'.repeat(64));
    expect((await verifyAuditChain({ db: getDb() })).ok).toBe(true);
  });

  it('hashes in PostgreSQL exactly what the verifier hashes, whatever the text (non-ASCII, astral, escapes)', async () => {
    const u = await createTestUser();
    const memo = 'Gutschrift für Müller — クレジット 🎉 "quoted" \\ back\nslash\u0007end';
    await getDb().$transaction((tx) => recordAudit(tx, { organizationId: u.organization.id, actor: { userId: u.user.id }, action: 'credits.grant', targetType: 'Organization', targetId: u.organization.id, data: { memo, amount: '1.5', nested: { z: 1, a: [true, null] } } }));
    const entry = await getDb().auditLogEntry.findFirstOrThrow({ where: { chain: `org:${u.organization.id}` }, orderBy: { id: 'desc' } });
    expect(entry.data).toMatchObject({ memo });
    const head = await getDb().auditChainHead.findUniqueOrThrow({ where: { chain: entry.chain } });
    expect(head.hash).toBe(entry.hash);
    expect(head.lastId).toBe(entry.id);
    expect((await verifyAuditChain({ db: getDb() })).ok).toBe(true);
  });

  it('detects a tampered row, in the service and through `lathe audit verify`', async () => {
    const u = await createTestUser();
    const entry = await getDb().auditLogEntry.findFirstOrThrow({ where: { action: 'user.create', targetId: u.user.id } });
    const original = entry.action;
    await getDb().$executeRawUnsafe('UPDATE "AuditLogEntry" SET "action" = $1 WHERE "id" = $2', 'user.delete', entry.id);
    try {
      const report = await verifyAuditChain({ db: getDb() });
      expect(report).toMatchObject({ ok: false, brokenAtId: entry.id.toString() });
      const cli = await runLathe(['audit', 'verify']);
      expect(cli.code).toBe(1);
      expect(cli.stderr).toContain(`broken at entry ${entry.id}`);
    } finally {
      await getDb().$executeRawUnsafe('UPDATE "AuditLogEntry" SET "action" = $1 WHERE "id" = $2', original, entry.id);
    }
    const cli = await runLathe(['audit', 'verify']);
    expect(cli.code).toBe(0);
    expect(cli.stdout).toMatch(/audit chain intact/);
  });

  it('detects a row deleted from the middle of the chain', async () => {
    const u = await createTestUser();
    await grantCredits({ db: getDb(), organizationId: u.organization.id, amount: 5, actor: {}, memo: 'a later entry in the same chain' });
    const entry = await getDb().auditLogEntry.findFirstOrThrow({ where: { action: 'user.create', targetId: u.user.id } });
    const row = (await getDb().$queryRawUnsafe<Record<string, unknown>[]>('SELECT * FROM "AuditLogEntry" WHERE "id" = $1', entry.id))[0]!;
    await getDb().$executeRawUnsafe('DELETE FROM "AuditLogEntry" WHERE "id" = $1', entry.id);
    try {
      const report = await verifyAuditChain({ db: getDb() });
      expect(report.ok).toBe(false);
    } finally {
      await getDb().$executeRawUnsafe(
        'INSERT INTO "AuditLogEntry" ("id","organizationId","actorUserId","actorApiKeyId","action","targetType","targetId","data","createdAt","chain","prevHash","hash") VALUES ($1,$2,$3,$4,$5,$6,$7,$8::jsonb,$9,$10,$11,$12)',
        row.id, row.organizationId, row.actorUserId, row.actorApiKeyId, row.action, row.targetType, row.targetId, JSON.stringify(row.data), row.createdAt, row.chain, row.prevHash, row.hash,
      );
    }
  });

  it("detects entries cut from the end of an organization's chain", async () => {
    const u = await createTestUser();
    await grantCredits({ db: getDb(), organizationId: u.organization.id, amount: 5, actor: {}, memo: 'the last entry of the chain' });
    const last = await getDb().auditLogEntry.findFirstOrThrow({ where: { chain: `org:${u.organization.id}` }, orderBy: { id: 'desc' } });
    expect(last.action).toBe('credits.grant');
    const row = (await getDb().$queryRawUnsafe<Record<string, unknown>[]>('SELECT * FROM "AuditLogEntry" WHERE "id" = $1', last.id))[0]!;
    await getDb().$executeRawUnsafe('DELETE FROM "AuditLogEntry" WHERE "id" = $1', last.id);
    try {
      const report = await verifyAuditChain({ db: getDb() });
      expect(report).toMatchObject({ ok: false, brokenAtId: last.id.toString() });
      if (!report.ok) expect(report.reason).toContain('removed from its end');
    } finally {
      await getDb().$executeRawUnsafe(
        'INSERT INTO "AuditLogEntry" ("id","organizationId","actorUserId","actorApiKeyId","action","targetType","targetId","data","createdAt","chain","prevHash","hash") VALUES ($1,$2,$3,$4,$5,$6,$7,$8::jsonb,$9,$10,$11,$12)',
        row.id, row.organizationId, row.actorUserId, row.actorApiKeyId, row.action, row.targetType, row.targetId, JSON.stringify(row.data), row.createdAt, row.chain, row.prevHash, row.hash,
      );
    }
    expect((await verifyAuditChain({ db: getDb() })).ok).toBe(true);
  });

  it('lets writers of different organizations append while one holds its chain', async () => {
    const [a, b] = [await createTestUser(), await createTestUser()];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const lockTaken = new Promise<void>((resolve) => (locked = resolve));
    // A transaction of organization A appends and then stays open, holding A's chain.
    const holder = getDb().$transaction(async (tx) => {
      await recordAudit(tx, { organizationId: a.organization.id, actor: {}, action: 'test.hold', targetType: 'Organization', targetId: a.organization.id });
      locked();
      await held;
    }, { timeout: 60_000 });
    await lockTaken;
    // B's credit movement commits meanwhile: it does not wait on A's chain.
    await grantCredits({ db: getDb(), organizationId: b.organization.id, amount: 1, actor: {}, memo: 'while A holds its chain' });
    const bEntry = await getDb().auditLogEntry.findFirstOrThrow({ where: { chain: `org:${b.organization.id}`, action: 'credits.grant' } });
    expect(await getDb().auditLogEntry.count({ where: { chain: `org:${a.organization.id}`, action: 'test.hold' } })).toBe(0);
    release();
    await holder;
    const aEntry = await getDb().auditLogEntry.findFirstOrThrow({ where: { chain: `org:${a.organization.id}`, action: 'test.hold' } });
    // A's entry took its id before B's and committed after it; each still links within its own chain.
    expect(aEntry.id < bEntry.id).toBe(true);
    expect((await verifyAuditChain({ db: getDb() })).ok).toBe(true);
  });
});
