import { describe, expect, it } from 'vitest';
import { getDb } from '@/server/db';
import { createTestUser } from '@/tests/helpers/factories';
import { verifyAuditChain } from '@/server/services/audit/verify-audit-chain';
import { runLathe } from '@/tests/helpers/cli';

describe('audit log hash chain', () => {
  it('records mutations in their transaction and links each entry to the previous one', async () => {
    const u = await createTestUser();
    const entry = await getDb().auditLogEntry.findFirstOrThrow({ where: { action: 'user.create', targetId: u.user.id } });
    expect(entry.organizationId).toBe(u.organization.id);
    expect(entry.hash).toMatch(/^[0-9a-f]{64}$/);
    const previous = await getDb().auditLogEntry.findFirst({ where: { id: { lt: entry.id } }, orderBy: { id: 'desc' } });
    expect(entry.prevHash).toBe(previous?.hash ?? '0'.repeat(64));
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
    await createTestUser();
    const entry = await getDb().auditLogEntry.findFirstOrThrow({ where: { action: 'user.create', targetId: u.user.id } });
    const row = (await getDb().$queryRawUnsafe<Record<string, unknown>[]>('SELECT * FROM "AuditLogEntry" WHERE "id" = $1', entry.id))[0]!;
    await getDb().$executeRawUnsafe('DELETE FROM "AuditLogEntry" WHERE "id" = $1', entry.id);
    try {
      const report = await verifyAuditChain({ db: getDb() });
      expect(report.ok).toBe(false);
    } finally {
      await getDb().$executeRawUnsafe(
        'INSERT INTO "AuditLogEntry" ("id","organizationId","actorUserId","actorApiKeyId","action","targetType","targetId","data","createdAt","prevHash","hash") VALUES ($1,$2,$3,$4,$5,$6,$7,$8::jsonb,$9,$10,$11)',
        row.id, row.organizationId, row.actorUserId, row.actorApiKeyId, row.action, row.targetType, row.targetId, JSON.stringify(row.data), row.createdAt, row.prevHash, row.hash,
      );
    }
  });
});
