// The platform administrator's billing dashboard: revenue from recorded Stripe payments (net of
// refunds), credits outstanding, top organizations by spend, refunds and disputes, hand-made grants
// and adjustments, the jobs and runners at a glance, search, and suspending an organization.
import { Prisma } from '@/server/generated/prisma/client';
import type { Db } from '@/server/db';
import { LatheError } from '@/server/services/errors';
import { recordAudit, type AuditActor } from '@/server/services/audit/record-audit';
import { monthStart } from '@/server/services/billing/spend-controls';

type RevenueRow = { period: Date; currency: string; gross: bigint; refunded: bigint; payments: bigint };

export async function billingDashboard({ db }: { db: Db }) {
  const revenue = (unit: 'day' | 'month', since: Date) =>
    db.$queryRawUnsafe<RevenueRow[]>(
      `SELECT date_trunc('${unit}', "paidAt" AT TIME ZONE 'UTC') AS period, currency, SUM(amount)::bigint AS gross, SUM(LEAST("amountRefunded", amount))::bigint AS refunded, COUNT(*)::bigint AS payments
         FROM "StripePayment" WHERE "paidAt" IS NOT NULL AND "paidAt" >= $1 AND amount IS NOT NULL GROUP BY 1, 2 ORDER BY 1`,
      since,
    );
  const now = new Date();
  const [daily, monthly, outstanding, top, refunds, manual, jobs, runners, failures] = await Promise.all([
    revenue('day', new Date(now.getTime() - 30 * 86_400_000)),
    revenue('month', new Date(Date.UTC(now.getUTCFullYear() - 1, now.getUTCMonth(), 1))),
    db.$queryRawUnsafe<{ credits: Prisma.Decimal | null; organizations: bigint }[]>(
      `SELECT SUM(balance) AS credits, COUNT(*)::bigint AS organizations FROM (SELECT SUM(amount) AS balance FROM "CreditLedgerEntry" GROUP BY "organizationId") b WHERE balance > 0`,
    ),
    db.$queryRawUnsafe<{ organizationId: string; name: string; spent: Prisma.Decimal }[]>(
      `SELECT e."organizationId", o.name, -SUM(e.amount) AS spent FROM "CreditLedgerEntry" e JOIN "Organization" o ON o.id = e."organizationId"
        WHERE e.kind IN ('USAGE', 'RESERVATION', 'SETTLEMENT') AND e."createdAt" >= $1 GROUP BY 1, 2 HAVING -SUM(e.amount) > 0 ORDER BY 3 DESC LIMIT 10`,
      monthStart(),
    ),
    db.stripePayment.findMany({ where: { OR: [{ amountRefunded: { gt: 0 } }, { disputedAt: { not: null } }] }, orderBy: { updatedAt: 'desc' }, take: 50 }),
    db.creditLedgerEntry.findMany({ where: { kind: { in: ['GRANT', 'ADJUSTMENT'] } }, orderBy: { createdAt: 'desc' }, take: 50, include: { organization: { select: { name: true } } } }),
    db.trainingJob.groupBy({ by: ['status'], _count: { _all: true } }),
    db.runner.findMany({ select: { id: true, name: true, hostname: true, status: true, gpus: true, lastHeartbeatAt: true }, orderBy: { createdAt: 'desc' }, take: 50 }),
    db.trainingJob.findMany({ where: { status: 'failed' }, orderBy: { finishedAt: 'desc' }, take: 10, select: { id: true, organizationId: true, error: true, finishedAt: true } }),
  ]);
  const asRevenue = (rows: RevenueRow[]) => rows.map((r) => ({ period: r.period.toISOString().slice(0, 10), currency: r.currency, gross: Number(r.gross), refunded: Number(r.refunded), net: Number(r.gross) - Number(r.refunded), payments: Number(r.payments) }));
  return {
    revenueByDay: asRevenue(daily),
    revenueByMonth: asRevenue(monthly),
    creditsOutstanding: (outstanding[0]?.credits ?? new Prisma.Decimal(0)).toString(),
    organizationsWithCredits: Number(outstanding[0]?.organizations ?? 0),
    topOrganizations: top.map((t) => ({ organizationId: t.organizationId, name: t.name, spent: new Prisma.Decimal(t.spent).toString() })),
    refundsAndDisputes: refunds.map((p) => ({ id: p.id, organizationId: p.organizationId, amount: p.amount, currency: p.currency, amountRefunded: p.amountRefunded, disputedAt: p.disputedAt })),
    grantsAndAdjustments: manual.map((e) => ({ id: e.id, organizationId: e.organizationId, organizationName: e.organization.name, kind: e.kind, amount: e.amount.toString(), reason: e.memo, createdAt: e.createdAt })),
    jobsByState: Object.fromEntries(jobs.map((j) => [j.status, j._count._all])),
    runners: runners.map((r) => ({ ...r, gpus: Array.isArray(r.gpus) ? r.gpus.length : 0 })),
    recentFailures: failures.map((f) => ({ id: f.id, organizationId: f.organizationId, message: (f.error as { message?: string } | null)?.message ?? null, finishedAt: f.finishedAt })),
  };
}

export async function searchAccounts({ db, query }: { db: Db; query: string }) {
  const q = query.trim();
  if (q.length === 0) return { users: [], organizations: [] };
  const [users, organizations] = await Promise.all([
    db.user.findMany({ where: { OR: [{ email: { contains: q, mode: 'insensitive' } }, { name: { contains: q, mode: 'insensitive' } }] }, select: { id: true, email: true, name: true, role: true, memberships: { select: { organizationId: true, role: true } } }, take: 20 }),
    db.organization.findMany({ where: { OR: [{ name: { contains: q, mode: 'insensitive' } }, { slug: { contains: q, mode: 'insensitive' } }, { id: q }, { memberships: { some: { user: { email: { contains: q, mode: 'insensitive' } } } } }] }, select: { id: true, name: true, slug: true, personal: true, billing: { select: { suspendedAt: true, suspendedReason: true, paidUsageFrozenAt: true } } }, take: 20 }),
  ]);
  const balances = await db.creditLedgerEntry.groupBy({ by: ['organizationId'], where: { organizationId: { in: organizations.map((o) => o.id) } }, _sum: { amount: true } });
  const balanceOf = new Map(balances.map((b) => [b.organizationId, (b._sum.amount ?? new Prisma.Decimal(0)).toString()]));
  return {
    users,
    organizations: organizations.map((o) => ({ id: o.id, name: o.name, slug: o.slug, personal: o.personal, balance: balanceOf.get(o.id) ?? '0', suspendedAt: o.billing?.suspendedAt ?? null, suspendedReason: o.billing?.suspendedReason ?? null, frozen: Boolean(o.billing?.paidUsageFrozenAt) })),
  };
}

export async function setSuspended({ db, organizationId, suspended, reason, actor }: { db: Db; organizationId: string; suspended: boolean; reason: string; actor: AuditActor }) {
  const why = reason.trim();
  if (why.length < 3) throw new LatheError('BAD_REQUEST', 'Give the reason (at least 3 characters); it is kept in the audit log.', { param: 'reason' });
  if (!(await db.organization.findUnique({ where: { id: organizationId }, select: { id: true } }))) throw new LatheError('NOT_FOUND', 'That organization does not exist.', { param: 'organizationId' });
  const data = suspended ? { suspendedAt: new Date(), suspendedReason: why } : { suspendedAt: null, suspendedReason: null };
  await db.$transaction(async (tx) => {
    await tx.billingAccount.upsert({ where: { organizationId }, create: { organizationId, ...data }, update: data });
    await recordAudit(tx, { organizationId, actor, action: suspended ? 'organization.suspend' : 'organization.unsuspend', targetType: 'Organization', targetId: organizationId, data: { reason: why } });
  });
}

/** Lifts the freeze a dispute put on paid usage, once the administrator has settled it. */
export async function unfreezePaidUsage({ db, organizationId, reason, actor }: { db: Db; organizationId: string; reason: string; actor: AuditActor }) {
  const why = reason.trim();
  if (why.length < 3) throw new LatheError('BAD_REQUEST', 'Give the reason (at least 3 characters); it is kept in the audit log.', { param: 'reason' });
  await db.$transaction(async (tx) => {
    await tx.billingAccount.updateMany({ where: { organizationId }, data: { paidUsageFrozenAt: null, paidUsageFrozenReason: null } });
    await recordAudit(tx, { organizationId, actor, action: 'billing.unfreeze', targetType: 'Organization', targetId: organizationId, data: { reason: why } });
  });
}
