import { sha256Hex } from '@/server/services/auth/tokens';
import { canonicalJson } from '@/server/services/audit/canonical-json';

export const GENESIS_HASH = '0'.repeat(64);
const CHAIN_LOCK_KEY = 7_341_002;

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

/**
 * Appends one entry to the hash chain. Must run inside the transaction of the change it records,
 * so the change and its audit entry commit or roll back together. A transaction-scoped advisory
 * lock serializes writers so each entry links to the true previous one.
 */
export async function recordAudit(tx: RawTx, options: RecordAuditOptions): Promise<void> {
  await tx.$executeRawUnsafe('SELECT pg_advisory_xact_lock($1)', CHAIN_LOCK_KEY);
  const rows = await tx.$queryRawUnsafe<{ hash: string }[]>('SELECT "hash" FROM "AuditLogEntry" ORDER BY "id" DESC LIMIT 1');
  const prevHash = rows[0]?.hash ?? GENESIS_HASH;
  // Millisecond precision: what timestamp(3) stores is exactly what was hashed.
  const fields: AuditFields = {
    organizationId: options.organizationId ?? null,
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
    `INSERT INTO "AuditLogEntry" ("organizationId","actorUserId","actorApiKeyId","action","targetType","targetId","data","createdAt","prevHash","hash")
     VALUES ($1,$2,$3,$4,$5,$6,$7::jsonb,$8,$9,$10)`,
    fields.organizationId,
    fields.actorUserId,
    fields.actorApiKeyId,
    fields.action,
    fields.targetType,
    fields.targetId,
    fields.data === null ? null : JSON.stringify(fields.data),
    fields.createdAt,
    prevHash,
    hash,
  );
}
