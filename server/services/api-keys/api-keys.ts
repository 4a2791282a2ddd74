import { randomBytes } from 'node:crypto';
import type { Db } from '@/server/db';
import type { TenantContext, TenantDb } from '@/server/db/tenant';
import { LatheError, notFound } from '@/server/services/errors';
import { sha256Hex } from '@/server/services/auth/tokens';
import { recordAudit } from '@/server/services/audit/record-audit';

const KEY_PREFIX = 'lk-';
const PREFIX_SHOWN = 12;

export type ApiKeySummary = { id: string; name: string; prefix: string; createdAt: Date; lastUsedAt: Date | null; revokedAt: Date | null };

const summary = (k: ApiKeySummary): ApiKeySummary => ({
  id: k.id, name: k.name, prefix: k.prefix, createdAt: k.createdAt, lastUsedAt: k.lastUsedAt, revokedAt: k.revokedAt,
});

/** Creates a key for the scope's project; the secret is returned here and never again. */
export async function createApiKey({ tenant, name }: { tenant: TenantContext; name: string }) {
  const { db, scope, actor } = tenant;
  const trimmed = name.trim() || 'API key';
  if (trimmed.length > 100) throw new LatheError('BAD_REQUEST', 'Use a name of at most 100 characters.', { param: 'name' });
  const secret = KEY_PREFIX + randomBytes(30).toString('base64url');
  const created = await db.$transaction(async (tx) => {
    const key = await tx.apiKey.create({
      data: {
        organizationId: scope.organizationId,
        projectId: scope.projectId,
        name: trimmed,
        prefix: secret.slice(0, PREFIX_SHOWN),
        hash: sha256Hex(secret),
        createdById: actor.userId ?? null,
      },
    });
    await recordAudit(tx, { organizationId: scope.organizationId, actor, action: 'api_key.create', targetType: 'ApiKey', targetId: key.id, data: { name: trimmed, prefix: key.prefix } });
    return key;
  });
  return { key: secret, apiKey: summary(created) };
}

export async function listApiKeys({ db }: { db: TenantDb }) {
  const keys = await db.apiKey.findMany({ orderBy: { createdAt: 'desc' } });
  return keys.map(summary);
}

export async function revokeApiKey({ tenant, id }: { tenant: TenantContext; id: string }) {
  const { db, scope, actor } = tenant;
  return db.$transaction(async (tx) => {
    const { count } = await tx.apiKey.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: new Date() } });
    if (count !== 1) {
      if (!(await tx.apiKey.findUnique({ where: { id } }))) throw notFound('API key');
      throw new LatheError('CONFLICT', 'This key is already revoked.');
    }
    await recordAudit(tx, { organizationId: scope.organizationId, actor, action: 'api_key.revoke', targetType: 'ApiKey', targetId: id });
    return summary((await tx.apiKey.findUniqueOrThrow({ where: { id } })) as ApiKeySummary);
  });
}

export type ApiKeyPrincipal = { apiKeyId: string; organizationId: string; projectId: string; userId: string | null };

const LAST_USED_RESOLUTION_MS = 60_000;

/** The principal for a presented secret, or null for an unknown or revoked key. */
export async function authenticateApiKey({ db, secret }: { db: Db; secret: string }): Promise<ApiKeyPrincipal | null> {
  if (!secret.startsWith(KEY_PREFIX) || secret.length > 200) return null;
  const key = await db.apiKey.findUnique({ where: { hash: sha256Hex(secret) } });
  if (!key || key.revokedAt) return null;
  // Written at most once a minute per key, so a busy key does not turn every request into a write.
  if (!key.lastUsedAt || Date.now() - key.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    await db.apiKey.update({ where: { id: key.id }, data: { lastUsedAt: new Date() } });
  }
  return { apiKeyId: key.id, organizationId: key.organizationId, projectId: key.projectId, userId: key.createdById };
}
