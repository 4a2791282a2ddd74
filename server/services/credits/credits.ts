import { Prisma } from '@/server/generated/prisma/client';
import type { Db } from '@/server/db';
import type { TenantDb } from '@/server/db/tenant';
import { LatheError } from '@/server/services/errors';
import { recordAudit, type AuditActor } from '@/server/services/audit/record-audit';

export type GrantCreditsOptions = { db: Db; organizationId: string; amount: number | string; actor: AuditActor; memo?: string; idempotencyKey?: string };

export async function grantCredits({ db, organizationId, amount, actor, memo, idempotencyKey }: GrantCreditsOptions) {
  const value = new Prisma.Decimal(amount);
  if (!value.isFinite() || value.lte(0)) throw new LatheError('BAD_REQUEST', 'The amount must be a positive number.', { param: 'amount' });
  return db.$transaction(async (tx) => {
    const entry = await tx.creditLedgerEntry.create({
      data: { organizationId, kind: 'GRANT', amount: value, memo: memo ?? null, idempotencyKey: idempotencyKey ?? null, createdById: actor.userId ?? null },
    });
    await recordAudit(tx, { organizationId, actor, action: 'credits.grant', targetType: 'CreditLedgerEntry', targetId: entry.id, data: { amount: value.toString() } });
    return { id: entry.id, amount: value.toString() };
  });
}

/** The balance is the sum of the organization's ledger entries. */
export async function getBalance({ db, organizationId }: { db: Db | TenantDb; organizationId: string }) {
  const { _sum } = await db.creditLedgerEntry.aggregate({ where: { organizationId }, _sum: { amount: true } });
  return (_sum.amount ?? new Prisma.Decimal(0)).toString();
}
