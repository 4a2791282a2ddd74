// An organization's billing settings as its owners set them (auto top-up, the monthly cap, API
// key caps) and the summary the billing page shows. Every change is audited.
import { Prisma } from '@/server/generated/prisma/client';
import type { Db } from '@/server/db';
import { LatheError } from '@/server/services/errors';
import { findPack, packCredits } from '@/lib/universal/price-book';
import { getPriceBook } from '@/server/services/billing/price-book';
import { billingEnabled, operatorContact } from '@/server/services/billing/stripe-client';
import { monthSpend } from '@/server/services/billing/spend-controls';
import { recordAudit, type AuditActor } from '@/server/services/audit/record-audit';

export async function billingSummary({ db, organizationId }: { db: Db; organizationId: string }) {
  const [organization, book, account, balance, spent] = await Promise.all([
    db.organization.findUniqueOrThrow({ where: { id: organizationId }, select: { name: true } }),
    getPriceBook({ db }),
    db.billingAccount.findUnique({ where: { organizationId } }),
    db.creditLedgerEntry.aggregate({ where: { organizationId }, _sum: { amount: true } }).then((r) => (r._sum.amount ?? new Prisma.Decimal(0)).toString()),
    monthSpend({ db, organizationId }),
  ]);
  return {
    organizationId,
    organizationName: organization.name,
    balance,
    billingEnabled: billingEnabled(),
    operatorContact: operatorContact(),
    currency: book.currency,
    packs: book.packs.map((p) => ({ id: p.id, credits: p.credits, bonusCredits: p.bonusCredits, totalCredits: packCredits(p), amount: p.amount, currency: p.currency })),
    hasCustomer: Boolean(account?.stripeCustomerId),
    autoTopUp: {
      enabled: account?.autoTopUpEnabled ?? false,
      threshold: account?.autoTopUpThreshold?.toString() ?? null,
      packId: account?.autoTopUpPackId ?? null,
      disabledReason: account?.autoTopUpDisabledReason ?? null,
    },
    monthlySpendCap: account?.monthlySpendCap?.toString() ?? null,
    spentThisMonth: spent.toString(),
    frozenReason: account?.paidUsageFrozenAt ? (account.paidUsageFrozenReason ?? 'Paid usage is frozen.') : null,
    suspendedReason: account?.suspendedAt ? (account.suspendedReason ?? 'The organization is suspended.') : null,
  };
}

const decimalOrNull = (value: number | null | undefined, param: string) => {
  if (value === null || value === undefined) return null;
  if (!Number.isFinite(value) || value <= 0) throw new LatheError('BAD_REQUEST', 'Enter a positive number of credits, or leave it empty for none.', { param });
  return new Prisma.Decimal(value);
};

export async function setAutoTopUp({ db, organizationId, enabled, threshold, packId, actor }: { db: Db; organizationId: string; enabled: boolean; threshold: number | null; packId: string | null; actor: AuditActor }) {
  if (enabled) {
    if (!billingEnabled()) throw new LatheError('PRECONDITION_FAILED', 'Auto top-up needs Stripe, which this installation does not use.', { reason: 'billing_not_configured' });
    if (!packId || !findPack(await getPriceBook({ db }), packId)) throw new LatheError('BAD_REQUEST', 'Choose the pack to buy when the balance runs low.', { param: 'packId', reason: 'unknown_pack' });
    if (!threshold || threshold <= 0) throw new LatheError('BAD_REQUEST', 'Enter the balance under which to top up, in credits.', { param: 'threshold' });
    const account = await db.billingAccount.findUnique({ where: { organizationId } });
    if (!account?.stripeCustomerId) throw new LatheError('PRECONDITION_FAILED', 'Buy a pack once first: auto top-up charges the card saved with that purchase.', { param: 'enabled' });
  }
  const data = { autoTopUpEnabled: enabled, autoTopUpThreshold: decimalOrNull(threshold, 'threshold'), autoTopUpPackId: packId, ...(enabled ? { autoTopUpDisabledReason: null, autoTopUpPendingKey: null } : {}) };
  await db.$transaction(async (tx) => {
    await tx.billingAccount.upsert({ where: { organizationId }, create: { organizationId, ...data }, update: data });
    await recordAudit(tx, { organizationId, actor, action: 'billing.auto_top_up.set', targetType: 'Organization', targetId: organizationId, data: { enabled, threshold, packId } });
  });
}

export async function setSpendCap({ db, organizationId, cap, actor }: { db: Db; organizationId: string; cap: number | null; actor: AuditActor }) {
  const value = decimalOrNull(cap, 'cap');
  await db.$transaction(async (tx) => {
    await tx.billingAccount.upsert({ where: { organizationId }, create: { organizationId, monthlySpendCap: value }, update: { monthlySpendCap: value } });
    await recordAudit(tx, { organizationId, actor, action: 'billing.spend_cap.set', targetType: 'Organization', targetId: organizationId, data: { cap: value?.toString() ?? null } });
  });
}

export async function setKeySpendCap({ db, organizationId, apiKeyId, cap, actor }: { db: Db; organizationId: string; apiKeyId: string; cap: number | null; actor: AuditActor }) {
  const value = decimalOrNull(cap, 'cap');
  await db.$transaction(async (tx) => {
    const { count } = await tx.apiKey.updateMany({ where: { id: apiKeyId, organizationId }, data: { monthlySpendCap: value } });
    if (count === 0) throw new LatheError('NOT_FOUND', 'That API key was not found in this organization.', { param: 'apiKeyId' });
    await recordAudit(tx, { organizationId, actor, action: 'billing.key_spend_cap.set', targetType: 'ApiKey', targetId: apiKeyId, data: { cap: value?.toString() ?? null } });
  });
}

/** Each API key of the organization with its cap and this month's spend. */
export async function keySpend({ db, organizationId }: { db: Db; organizationId: string }) {
  const keys = await db.apiKey.findMany({ where: { organizationId, revokedAt: null }, select: { id: true, name: true, prefix: true, monthlySpendCap: true }, orderBy: { createdAt: 'asc' } });
  return Promise.all(keys.map(async (k) => ({ id: k.id, name: k.name, prefix: k.prefix, cap: k.monthlySpendCap?.toString() ?? null, spent: (await monthSpend({ db, organizationId, apiKeyId: k.id })).toString() })));
}
