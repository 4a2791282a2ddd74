import { sha256Hex } from '@/server/services/auth/tokens';
import { canonicalJson } from '@/server/services/audit/canonical-json';

export const GENESIS_HASH = '0'.repeat(64);

export type AuditActor = { userId?: string | null; apiKeyId?: string | null };

export type RecordAuditOptions = {
  organizationId?: string | null;
  actor: AuditActor;
  action: string;
  targetType: string;
  targetId?: string | null;
  data?: Record<string, unknown> | null;
};

type RawTx = {
  $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number>;
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
};

export type AuditFields = {
  organizationId: string | null;
  actorUserId: string | null;
  actorApiKeyId: string | null;
  action: string;
  targetType: string;
  targetId: string | null;
  data: unknown;
  createdAt: Date;
};

export function auditHash(prevHash: string, fields: AuditFields): string {
  return sha256Hex(prevHash + canonicalJson({ ...fields, createdAt: fields.createdAt.toISOString() }));
}

/** The chain an entry links into: one per organization, so their writers never wait on each other. */
export function auditChainOf(organizationId: string | null): string {
  return organizationId ? `org:${organizationId}` : 'platform';
}

const lockHead = (tx: RawTx, chain: string) => tx.$queryRawUnsafe<{ hash: string }[]>('SELECT "hash" FROM "AuditChainHead" WHERE "chain" = $1 FOR UPDATE', chain);

/** Locks the chain's head row until the transaction ends and returns it, creating it the first time. */
async function lockChainHead(tx: RawTx, chain: string) {
  // FOR UPDATE writes no new row version, so a busy chain's head does not bloat; only the append does.
  const heads = await lockHead(tx, chain);
  if (heads.length > 0) return heads;
  await tx.$executeRawUnsafe(`INSERT INTO "AuditChainHead" ("chain","lastId","hash","entries") VALUES ($1, 0, $2, 0) ON CONFLICT ("chain") DO NOTHING`, chain, GENESIS_HASH);
  return lockHead(tx, chain);
}

/**
 * Appends one entry to its organization's hash chain. Must run inside the transaction of the change
 * it records, so the change and its audit entry commit or roll back together. The chain's head row
 * is locked for the rest of the transaction, which orders that chain's writers (and only them) so
 * each entry links to the true previous one; the head then records the new last entry.
 */
export async function recordAudit(tx: RawTx, options: RecordAuditOptions): Promise<void> {
  const organizationId = options.organizationId ?? null;
  const chain = auditChainOf(organizationId);
  const heads = await lockChainHead(tx, chain);
  const prevHash = heads[0]?.hash ?? GENESIS_HASH;
  // Millisecond precision: what timestamp(3) stores is exactly what was hashed.
  const fields: AuditFields = {
    organizationId,
    actorUserId: options.actor.userId ?? null,
    actorApiKeyId: options.actor.apiKeyId ?? null,
    action: options.action,
    targetType: options.targetType,
    targetId: options.targetId ?? null,
    data: options.data ? JSON.parse(canonicalJson(options.data)) : null,
    createdAt: new Date(),
  };
  const hash = auditHash(prevHash, fields);
  await tx.$executeRawUnsafe(
    `WITH entry AS (
       INSERT INTO "AuditLogEntry" ("organizationId","actorUserId","actorApiKeyId","action","targetType","targetId","data","createdAt","chain","prevHash","hash")
       VALUES ($1,$2,$3,$4,$5,$6,$7::jsonb,$8,$9,$10,$11) RETURNING "id"
     )
     UPDATE "AuditChainHead" SET "lastId" = (SELECT "id" FROM entry), "hash" = $11, "entries" = "entries" + 1 WHERE "chain" = $9`,
    fields.organizationId,
    fields.actorUserId,
    fields.actorApiKeyId,
    fields.action,
    fields.targetType,
    fields.targetId,
    fields.data === null ? null : JSON.stringify(fields.data),
    fields.createdAt,
    chain,
    prevHash,
    hash,
  );
}
