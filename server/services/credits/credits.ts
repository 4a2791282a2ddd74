// Credits an operator or a platform administrator moves by hand: grants (positive) and
// adjustments (either sign), each with a reason, under the organization's credit lock and audited.
import { Prisma } from '@/server/generated/prisma/client';
import type { Db } from '@/server/db';
import type { TenantDb } from '@/server/db/tenant';
import { LatheError } from '@/server/services/errors';
import { recordAudit, type AuditActor } from '@/server/services/audit/record-audit';
import { lockOrganization } from '@/server/services/billing/credit-lock';

export type GrantCreditsOptions = { db: Db; organizationId: string; amount: number | string; actor: AuditActor; memo?: string; idempotencyKey?: string };

function amountOf(amount: number | string, { positive }: { positive: boolean }) {
  let value: Prisma.Decimal;
  try {
    value = new Prisma.Decimal(amount);
  } catch {
    throw new LatheError('BAD_REQUEST', `The amount must be a number, got "${amount}".`, { param: 'amount' });
  }
  if (!value.isFinite() || (positive ? value.lte(0) : value.isZero())) {
    throw new LatheError('BAD_REQUEST', positive ? 'The amount must be a positive number.' : 'The amount must be a non-zero number (negative to take credits away).', { param: 'amount' });
  }
  if (value.decimalPlaces() > 6) throw new LatheError('BAD_REQUEST', 'The amount may have at most 6 decimals.', { param: 'amount' });
  return value;
}

export async function grantCredits({ db, organizationId, amount, actor, memo, idempotencyKey }: GrantCreditsOptions) {
  const value = amountOf(amount, { positive: true });
  return db.$transaction(async (tx) => {
    await lockOrganization(tx, organizationId);
    const entry = await tx.creditLedgerEntry.create({
      data: { organizationId, kind: 'GRANT', amount: value, memo: memo ?? null, idempotencyKey: idempotencyKey ?? null, createdById: actor.userId ?? null },
    });
    await recordAudit(tx, { organizationId, actor, action: 'credits.grant', targetType: 'CreditLedgerEntry', targetId: entry.id, data: { amount: value.toString(), reason: memo ?? null } });
    return { id: entry.id, amount: value.toString() };
  });
}

export type AdjustCreditsOptions = { db: Db; organizationId: string; amount: number | string; reason: string; actor: AuditActor };

/** A correction of either sign; the balance may go below zero (it then blocks paid work). */
export async function adjustCredits({ db, organizationId, amount, reason, actor }: AdjustCreditsOptions) {
  const value = amountOf(amount, { positive: false });
  const why = reason.trim();
  if (why.length < 3) throw new LatheError('BAD_REQUEST', 'Give the reason for the adjustment (at least 3 characters); it is kept in the audit log.', { param: 'reason' });
  return db.$transaction(async (tx) => {
    await lockOrganization(tx, organizationId);
    const entry = await tx.creditLedgerEntry.create({ data: { organizationId, kind: 'ADJUSTMENT', amount: value, memo: why, createdById: actor.userId ?? null } });
    await recordAudit(tx, { organizationId, actor, action: 'credits.adjust', targetType: 'CreditLedgerEntry', targetId: entry.id, data: { amount: value.toString(), reason: why } });
    return { id: entry.id, amount: value.toString() };
  });
}

/** The balance is the sum of the organization's ledger entries. */
export async function getBalance({ db, organizationId }: { db: Db | TenantDb; organizationId: string }) {
  const { _sum } = await db.creditLedgerEntry.aggregate({ where: { organizationId }, _sum: { amount: true } });
  return (_sum.amount ?? new Prisma.Decimal(0)).toString();
}
