// An organization's own Hugging Face token, for its gated and private repos. The operator's
// HF_TOKEN serves only platform-wide imports: an organization's imports and Hub look-ups use its
// own token or none, so no tenant reaches a repo through another's access.
import { z } from 'zod';
import type { Db } from '@/server/db';
import type { TenantContext } from '@/server/db/tenant';
import { recordAudit } from '@/server/services/audit/record-audit';
import { LatheError } from '@/server/services/errors';
import { decryptSecret, encryptSecret, isUnderOldKey, SecretUnreadableError } from '@/server/services/secrets/encrypt-secret';

export const ZHubToken = z
  .string()
  .trim()
  .regex(/^hf_[A-Za-z0-9_-]{4,250}$/, 'A Hugging Face token starts with hf_ (create one under Settings → Access Tokens on the Hub).');

export type HubTokenStatus = { configured: boolean; last4: string | null; updatedAt: Date | null };

const contextOf = (organizationId: string) => `hub-token:${organizationId}`;

export async function getHubTokenStatus({ tenant }: { tenant: TenantContext }): Promise<HubTokenStatus> {
  const row = await tenant.db.organizationHubToken.findUnique({ where: { organizationId: tenant.scope.organizationId }, select: { last4: true, updatedAt: true } });
  return { configured: Boolean(row), last4: row?.last4 ?? null, updatedAt: row?.updatedAt ?? null };
}

/** Stores (or replaces) the organization's token, encrypted; the audit log records only its last characters. */
export async function setHubToken({ tenant, token }: { tenant: TenantContext; token: string }): Promise<HubTokenStatus> {
  const parsed = ZHubToken.safeParse(token);
  if (!parsed.success) throw new LatheError('BAD_REQUEST', parsed.error.issues[0]!.message, { param: 'token' });
  const { organizationId } = tenant.scope;
  const data = { ciphertext: encryptSecret(parsed.data, contextOf(organizationId)), last4: parsed.data.slice(-4), updatedById: tenant.actor.userId ?? null };
  const row = await tenant.db.$transaction(async (tx) => {
    const saved = await tx.organizationHubToken.upsert({ where: { organizationId }, create: { organizationId, ...data }, update: data });
    await recordAudit(tx, { organizationId, actor: tenant.actor, action: 'organization.hub_token.set', targetType: 'Organization', targetId: organizationId, data: { last4: data.last4 } });
    return saved;
  });
  return { configured: true, last4: row.last4, updatedAt: row.updatedAt };
}

export async function deleteHubToken({ tenant }: { tenant: TenantContext }): Promise<HubTokenStatus> {
  const { organizationId } = tenant.scope;
  await tenant.db.$transaction(async (tx) => {
    const { count } = await tx.organizationHubToken.deleteMany({ where: { organizationId } });
    if (count > 0) await recordAudit(tx, { organizationId, actor: tenant.actor, action: 'organization.hub_token.delete', targetType: 'Organization', targetId: organizationId });
  });
  return { configured: false, last4: null, updatedAt: null };
}

/**
 * The token a Hub request made for this owner may carry: the organization's own, or for
 * platform-wide work (organizationId null) the operator's HF_TOKEN. Undefined when there is none.
 */
export async function hubTokenFor({ db, organizationId }: { db: Db; organizationId: string | null }): Promise<string | undefined> {
  if (organizationId === null) return process.env.HF_TOKEN || undefined;
  const row = await db.organizationHubToken.findUnique({ where: { organizationId }, select: { ciphertext: true } });
  if (!row) return undefined;
  try {
    return decryptSecret(row.ciphertext, contextOf(organizationId));
  } catch (error) {
    if (error instanceof SecretUnreadableError) {
      throw new LatheError('PRECONDITION_FAILED', `The organization's Hugging Face token cannot be read: ${error.message}`, { reason: 'hub_token_unreadable' });
    }
    throw error;
  }
}

/** Re-encrypts every stored token made under an older key with the current one; returns how many. */
export async function rotateHubTokens({ db }: { db: Db }): Promise<{ rotated: number; unreadable: string[] }> {
  const rows = await db.organizationHubToken.findMany({ select: { organizationId: true, ciphertext: true } });
  let rotated = 0;
  const unreadable: string[] = [];
  for (const row of rows) {
    if (!isUnderOldKey(row.ciphertext)) continue;
    let token: string;
    try {
      token = decryptSecret(row.ciphertext, contextOf(row.organizationId));
    } catch (error) {
      if (!(error instanceof SecretUnreadableError)) throw error;
      unreadable.push(row.organizationId);
      continue;
    }
    // Only if nobody replaced the token meanwhile.
    const { count } = await db.organizationHubToken.updateMany({
      where: { organizationId: row.organizationId, ciphertext: row.ciphertext },
      data: { ciphertext: encryptSecret(token, contextOf(row.organizationId)) },
    });
    rotated += count;
  }
  return { rotated, unreadable };
}
