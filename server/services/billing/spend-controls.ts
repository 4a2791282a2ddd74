// Spend controls checked before paid work: a frozen or suspended organization, an empty balance,
// and the monthly spending caps of the organization and of the API key. Spend is what the ledger
// charged this calendar month (UTC): metered usage, and job reservations net of their settlements.
import { Prisma } from '@/server/generated/prisma/client';
import type { Db } from '@/server/db';
import { LatheError } from '@/server/services/errors';
import { mailOwners } from '@/server/services/billing/owners';
import { logger } from '@/server/logger';

const D = (v: Prisma.Decimal | number | string) => new Prisma.Decimal(v);
export const CAP_ALERT_PERCENTS = [50, 80, 100] as const;

export function monthStart(at = new Date()) {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
}
const monthLabel = (at = new Date()) => monthStart(at).toISOString().slice(0, 7);

/** Credits the organization (or one key) spent this month. */
export async function monthSpend({ db, organizationId, apiKeyId }: { db: Db; organizationId: string; apiKeyId?: string | null }) {
  const where = apiKeyId
    ? { organizationId, apiKeyId, kind: 'USAGE' as const, createdAt: { gte: monthStart() } }
    : { organizationId, kind: { in: ['USAGE', 'RESERVATION', 'SETTLEMENT'] as ('USAGE' | 'RESERVATION' | 'SETTLEMENT')[] }, createdAt: { gte: monthStart() } };
  const { _sum } = await db.creditLedgerEntry.aggregate({ where, _sum: { amount: true } });
  const spent = (_sum.amount ?? D(0)).neg();
  return spent.lt(0) ? D(0) : spent;
}

/** PAYMENT_REQUIRED (or FORBIDDEN when suspended) with a sentence that names the cause; nothing when paid work may start. */
export async function assertCanSpend({ db, organizationId, apiKeyId = null }: { db: Db; organizationId: string; apiKeyId?: string | null }) {
  const [account, balance] = await Promise.all([
    db.billingAccount.findUnique({ where: { organizationId } }),
    db.creditLedgerEntry.aggregate({ where: { organizationId }, _sum: { amount: true } }),
  ]);
  if (account?.suspendedAt) {
    throw new LatheError('FORBIDDEN', `This organization is suspended${account.suspendedReason ? `: ${account.suspendedReason}` : ''}. Contact the operator of this installation.`, { reason: 'organization_suspended' });
  }
  if (account?.paidUsageFrozenAt) {
    throw new LatheError('PAYMENT_REQUIRED', `Paid usage is frozen${account.paidUsageFrozenReason ? `: ${account.paidUsageFrozenReason}` : ''} Contact the operator of this installation.`.replace(/\.\./g, '.'), { reason: 'paid_usage_frozen' });
  }
  const left = balance._sum.amount ?? D(0);
  if (left.lte(0)) {
    throw new LatheError('PAYMENT_REQUIRED', left.lt(0) ? `The balance is ${left.toDecimalPlaces(6).toFixed()} credits. Add credits on the Usage & billing page.` : 'You have no credits left. Add credits on the Usage & billing page.', { reason: 'insufficient_quota' });
  }
  if (account?.monthlySpendCap) {
    const spent = await monthSpend({ db, organizationId });
    if (spent.gte(account.monthlySpendCap)) {
      throw new LatheError('PAYMENT_REQUIRED', `The organization's monthly spending cap of ${account.monthlySpendCap.toFixed()} credits is reached (${spent.toDecimalPlaces(2).toFixed()} spent this month).`, { reason: 'spend_cap_reached' });
    }
  }
  if (apiKeyId) {
    const key = await db.apiKey.findUnique({ where: { id: apiKeyId }, select: { monthlySpendCap: true, name: true } });
    if (key?.monthlySpendCap) {
      const spent = await monthSpend({ db, organizationId, apiKeyId });
      if (spent.gte(key.monthlySpendCap)) {
        throw new LatheError('PAYMENT_REQUIRED', `The API key "${key.name}" has reached its monthly spending cap of ${key.monthlySpendCap.toFixed()} credits (${spent.toDecimalPlaces(2).toFixed()} spent this month).`, { reason: 'spend_cap_reached' });
      }
    }
  }
}

/** Mails the owners once per month and threshold as spend crosses 50, 80 and 100% of a cap. */
export async function sendCapAlerts({ db, organizationId, apiKeyId = null }: { db: Db; organizationId: string; apiKeyId?: string | null }) {
  const account = await db.billingAccount.findUnique({ where: { organizationId } });
  const caps: { label: string; cap: Prisma.Decimal; keyId: string | null }[] = [];
  if (account?.monthlySpendCap) caps.push({ label: "the organization's monthly spending cap", cap: account.monthlySpendCap, keyId: null });
  if (apiKeyId) {
    const key = await db.apiKey.findUnique({ where: { id: apiKeyId }, select: { monthlySpendCap: true, name: true } });
    if (key?.monthlySpendCap) caps.push({ label: `the monthly spending cap of API key "${key.name}"`, cap: key.monthlySpendCap, keyId: apiKeyId });
  }
  if (caps.length > 0 && !account) await db.billingAccount.upsert({ where: { organizationId }, create: { organizationId }, update: {} });
  for (const { label, cap, keyId } of caps) {
    if (cap.lte(0)) continue;
    const spent = await monthSpend({ db, organizationId, apiKeyId: keyId });
    const percent = spent.div(cap).mul(100).toNumber();
    const reached = CAP_ALERT_PERCENTS.filter((p) => percent >= p);
    if (reached.length === 0) continue;
    const top = reached.at(-1)!;
    const mark = `${keyId ? `${keyId}:` : ''}${monthLabel()}:${top}`;
    // Claimed in one statement, so concurrent charges mail once.
    const claimed = await db.$executeRawUnsafe(
      `UPDATE "BillingAccount" SET "capAlertsSent" = array_append("capAlertsSent", $2) WHERE "organizationId" = $1 AND NOT ($2 = ANY("capAlertsSent"))`,
      organizationId,
      mark,
    );
    if (claimed === 0) continue;
    try {
      await mailOwners({ db, organizationId, subject: `${top}% of ${label} used`, text: `This month ${spent.toDecimalPlaces(2).toFixed()} of ${cap.toFixed()} credits are spent: ${top}% of ${label}.${top >= 100 ? ' New jobs and API calls are refused until next month or until an owner raises the cap.' : ''}` });
    } catch (error) {
      logger.error({ err: error, organizationId }, 'cap alert mail failed');
    }
  }
}
