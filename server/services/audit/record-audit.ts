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

/**
 * Appends one entry to its organization's hash chain. Must run inside the transaction of the change
 * it records, so the change and its audit entry commit or roll back together. The chain's head row
 * is locked for the rest of the transaction, which orders that chain's writers (and only them) so
 * each entry links to the true previous one; the head then records the new last entry.
 */
export async function recordAudit(tx: RawTx, options: RecordAuditOptions): Promise<void> {
  const organizationId = options.organizationId ?? null;
  const chain = auditChainOf(organizationId);
  // An upsert that changes nothing still takes the row lock, and returns the head as it was.
  const heads = await tx.$queryRawUnsafe<{ hash: string }[]>(
    `INSERT INTO "AuditChainHead" ("chain","lastId","hash","entries") VALUES ($1, 0, $2, 0)
     ON CONFLICT ("chain") DO UPDATE SET "chain" = EXCLUDED."chain" RETURNING "hash"`,
    chain,
    GENESIS_HASH,
  );
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
