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

/** What an entry's hash covers after the previous entry's hash. */
const auditedBytes = (fields: AuditFields) => canonicalJson({ ...fields, createdAt: fields.createdAt.toISOString() });

export function auditHash(prevHash: string, fields: AuditFields): string {
  return sha256Hex(prevHash + auditedBytes(fields));
}

/** The chain an entry links into: one per organization, so their writers never wait on each other. */
export function auditChainOf(organizationId: string | null): string {
  return organizationId ? `org:${organizationId}` : 'platform';
}

/** Creates the chain's head the first time the chain is written to. */
const createChainHead = (tx: RawTx, chain: string) =>
  tx.$executeRawUnsafe(`INSERT INTO "AuditChainHead" ("chain","lastId","hash","entries") VALUES ($1, 0, $2, 0) ON CONFLICT ("chain") DO NOTHING`, chain, GENESIS_HASH);

// One statement appends an entry: it locks the chain's head row (FOR UPDATE writes no new row
// version, so a busy chain's head does not bloat), links the entry to the head's hash, and moves
// the head. The hash is computed by PostgreSQL over the same bytes auditHash hashes: the previous
// hash followed by the canonical JSON of the fields, which does not depend on the previous hash and
// is computed here ($10). No row is written when the chain has no head yet.
const APPEND_SQL = `WITH head AS (
     SELECT "hash" FROM "AuditChainHead" WHERE "chain" = $9 FOR UPDATE
   ), entry AS (
     INSERT INTO "AuditLogEntry" ("organizationId","actorUserId","actorApiKeyId","action","targetType","targetId","data","createdAt","chain","prevHash","hash")
     SELECT $1,$2,$3,$4,$5,$6,$7::jsonb,$8,$9,head."hash",encode(sha256(convert_to(head."hash", 'UTF8') || $10::bytea), 'hex') FROM head
     RETURNING "id", "hash"
   )
   UPDATE "AuditChainHead" SET "lastId" = entry."id", "hash" = entry."hash", "entries" = "entries" + 1 FROM entry WHERE "chain" = $9`;

/**
 * Appends one entry to its organization's hash chain. Must run inside the transaction of the change
 * it records, so the change and its audit entry commit or roll back together. The chain's head row
 * is locked for the rest of the transaction, which orders that chain's writers (and only them) so
 * each entry links to the true previous one; the head then records the new last entry.
 */
export async function recordAudit(tx: RawTx, options: RecordAuditOptions): Promise<void> {
  const organizationId = options.organizationId ?? null;
  const chain = auditChainOf(organizationId);
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
  const values = [
    fields.organizationId,
    fields.actorUserId,
    fields.actorApiKeyId,
    fields.action,
    fields.targetType,
    fields.targetId,
    fields.data === null ? null : JSON.stringify(fields.data),
    fields.createdAt,
    chain,
    Buffer.from(auditedBytes(fields), 'utf8'),
  ];
  if ((await tx.$executeRawUnsafe(APPEND_SQL, ...values)) > 0) return;
  await createChainHead(tx, chain);
  if ((await tx.$executeRawUnsafe(APPEND_SQL, ...values)) === 0) throw new Error(`the audit chain ${chain} has no head`);
}
