import type { Db } from '@/server/db';
import { auditHash, GENESIS_HASH } from '@/server/services/audit/record-audit';

export type AuditChainReport =
  | { ok: true; entries: number }
  | { ok: false; entries: number; brokenAtId: string; reason: string };

/** Walks the whole chain in id order, in pages, and reports the first entry that does not link. */
export async function verifyAuditChain({ db, pageSize = 1000 }: { db: Db; pageSize?: number }): Promise<AuditChainReport> {
  let prevHash = GENESIS_HASH;
  let lastId: bigint | undefined;
  let entries = 0;
  for (;;) {
    const page = await db.auditLogEntry.findMany({
      where: lastId === undefined ? {} : { id: { gt: lastId } },
      orderBy: { id: 'asc' },
      take: pageSize,
    });
    if (page.length === 0) return { ok: true, entries };
    for (const entry of page) {
      entries++;
      if (entry.prevHash !== prevHash) {
        return { ok: false, entries, brokenAtId: entry.id.toString(), reason: 'prevHash does not match the previous entry (an entry was removed, inserted or reordered)' };
      }
      const expected = auditHash(prevHash, {
        organizationId: entry.organizationId,
        actorUserId: entry.actorUserId,
        actorApiKeyId: entry.actorApiKeyId,
        action: entry.action,
        targetType: entry.targetType,
        targetId: entry.targetId,
        data: entry.data ?? null,
        createdAt: entry.createdAt,
      });
      if (expected !== entry.hash) {
        return { ok: false, entries, brokenAtId: entry.id.toString(), reason: 'the entry\'s content does not match its hash (it was modified)' };
      }
      prevHash = entry.hash;
      lastId = entry.id;
    }
  }
}
