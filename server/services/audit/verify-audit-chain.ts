import type { Db, Tx } from '@/server/db';
import { auditChainOf, auditHash, GENESIS_HASH } from '@/server/services/audit/record-audit';

export type AuditChainReport =
  | { ok: true; entries: number; chains: number }
  | { ok: false; entries: number; chains: number; brokenAtId: string; reason: string };

type ChainState = { hash: string; entries: bigint; lastId: bigint };

/**
 * Walks every entry in id order, in pages, following each chain (one per organization, plus the
 * platform's and the single chain written before the split), and reports the first entry that does
 * not link. Then each chain's end must be the head its writers recorded, so entries cut from the
 * end of a chain, or a whole chain removed, are found too.
 */
export async function verifyAuditChain({ db, pageSize = 1000 }: { db: Db; pageSize?: number }): Promise<AuditChainReport> {
  // One snapshot for the walk and the heads, so entries written meanwhile do not look like tampering.
  return db.$transaction((tx) => walkChains(tx, pageSize), { isolationLevel: 'RepeatableRead', timeout: 30 * 60_000, maxWait: 60_000 });
}

async function walkChains(db: Tx, pageSize: number): Promise<AuditChainReport> {
  const chains = new Map<string, ChainState>();
  let lastId: bigint | undefined;
  let entries = 0;
  for (;;) {
    const page = await db.auditLogEntry.findMany({
      where: lastId === undefined ? {} : { id: { gt: lastId } },
      orderBy: { id: 'asc' },
      take: pageSize,
    });
    if (page.length === 0) break;
    for (const entry of page) {
      entries++;
      const broken = (reason: string): AuditChainReport => ({ ok: false, entries, chains: chains.size, brokenAtId: entry.id.toString(), reason });
      if (entry.chain !== 'global' && entry.chain !== auditChainOf(entry.organizationId)) {
        return broken('the entry sits in the chain of another organization (it was moved)');
      }
      const state = chains.get(entry.chain);
      const prevHash = state?.hash ?? GENESIS_HASH;
      if (entry.prevHash !== prevHash) {
        return broken('prevHash does not match the previous entry (an entry was removed, inserted or reordered)');
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
      if (expected !== entry.hash) return broken("the entry's content does not match its hash (it was modified)");
      chains.set(entry.chain, { hash: entry.hash, entries: (state?.entries ?? 0n) + 1n, lastId: entry.id });
      lastId = entry.id;
    }
  }

  const heads = await db.auditChainHead.findMany({ where: { entries: { gt: 0 } } });
  for (const head of heads) {
    const state = chains.get(head.chain);
    if (!state || state.hash !== head.hash || state.entries !== head.entries) {
      return {
        ok: false,
        entries,
        chains: chains.size,
        brokenAtId: head.lastId.toString(),
        reason: `the chain ${head.chain} ends before its recorded last entry (entries were removed from its end)`,
      };
    }
  }
  const headed = new Set(heads.map((head) => head.chain));
  for (const [chain, state] of chains) {
    if (!headed.has(chain)) {
      return { ok: false, entries, chains: chains.size, brokenAtId: state.lastId.toString(), reason: `the chain ${chain} has no recorded head (it was inserted)` };
    }
  }
  return { ok: true, entries, chains: chains.size };
}
