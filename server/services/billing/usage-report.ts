// What the usage page shows: credits and tokens per day split by model, project and API key
// (inference from the usage rows, fine-tuning from the ledger's job entries, deployment hours from
// the ledger's deployment entries), and the statement
// of ledger entries with a running balance. Always one organization, named in every WHERE.
import { Prisma } from '@/server/generated/prisma/client';
import type { Db } from '@/server/db';

export type UsagePoint = { day: string; kind: 'inference' | 'fine-tuning' | 'deployment'; model: string; projectId: string; projectName: string; apiKeyId: string | null; apiKeyName: string | null; credits: number; tokens: number };

const dayOf = (d: Date) => d.toISOString().slice(0, 10);

export async function usageSeries({ db, organizationId, from, to }: { db: Db; organizationId: string; from: Date; to: Date }): Promise<UsagePoint[]> {
  const [rows, projects, keys, training, deployments] = await Promise.all([
    db.usageRecord.findMany({ where: { organizationId, day: { gte: from, lte: to } }, orderBy: { day: 'asc' } }),
    db.project.findMany({ where: { organizationId }, select: { id: true, name: true } }),
    db.apiKey.findMany({ where: { organizationId }, select: { id: true, name: true, prefix: true } }),
    db.$queryRawUnsafe<{ day: Date; projectId: string; model: string; credits: Prisma.Decimal; tokens: bigint | null }[]>(
      `SELECT date_trunc('day', e."createdAt" AT TIME ZONE 'UTC') AS day, j."projectId", b.name AS model, -SUM(e.amount) AS credits,
              SUM(CASE WHEN e.kind = 'SETTLEMENT' THEN j."trainedTokens" ELSE 0 END)::bigint AS tokens
         FROM "CreditLedgerEntry" e JOIN "TrainingJob" j ON j.id = e."jobId" JOIN "BaseModel" b ON b.id = j."baseModelId"
        WHERE e."organizationId" = $1 AND e.kind IN ('RESERVATION', 'SETTLEMENT') AND e."createdAt" >= $2 AND e."createdAt" < $3::date + 1
        GROUP BY 1, 2, 3 ORDER BY 1`,
      organizationId,
      from,
      to,
    ),
    db.$queryRawUnsafe<{ day: Date; projectId: string | null; model: string; credits: Prisma.Decimal }[]>(
      `SELECT date_trunc('day', e."createdAt" AT TIME ZONE 'UTC') AS day, b."projectId", b.name AS model, -SUM(e.amount) AS credits
         FROM "CreditLedgerEntry" e JOIN "Deployment" d ON d.id = e."deploymentId" JOIN "BaseModel" b ON b.id = d."baseModelId"
        WHERE e."organizationId" = $1 AND e."deploymentId" IS NOT NULL AND e."createdAt" >= $2 AND e."createdAt" < $3::date + 1
        GROUP BY 1, 2, 3 ORDER BY 1`,
      organizationId,
      from,
      to,
    ),
  ]);
  const projectName = new Map(projects.map((p) => [p.id, p.name]));
  const keyName = new Map(keys.map((k) => [k.id, `${k.name} (${k.prefix}…)`]));
  const points: UsagePoint[] = rows.map((r) => ({
    day: dayOf(r.day),
    kind: 'inference',
    model: r.model,
    projectId: r.projectId,
    projectName: projectName.get(r.projectId) ?? r.projectId,
    apiKeyId: r.apiKeyId,
    apiKeyName: r.apiKeyId ? (keyName.get(r.apiKeyId) ?? r.apiKeyId) : null,
    credits: r.credits.toNumber(),
    tokens: Number(r.promptTokens + r.completionTokens),
  }));
  for (const t of training) {
    points.push({ day: dayOf(t.day), kind: 'fine-tuning', model: t.model, projectId: t.projectId, projectName: projectName.get(t.projectId) ?? t.projectId, apiKeyId: null, apiKeyName: null, credits: Number(t.credits), tokens: Number(t.tokens ?? 0) });
  }
  for (const d of deployments) {
    const projectId = d.projectId ?? '';
    points.push({ day: dayOf(d.day), kind: 'deployment', model: d.model, projectId, projectName: projectName.get(projectId) ?? projectId, apiKeyId: null, apiKeyName: null, credits: Number(d.credits), tokens: 0 });
  }
  return points.sort((a, b) => a.day.localeCompare(b.day));
}

export type StatementLine = { id: string; createdAt: Date; kind: string; memo: string | null; amount: string; balance: string; jobId: string | null };

/** Ledger entries between two dates with the balance after each, oldest first. */
export async function statement({ db, organizationId, from, to, limit = 5000 }: { db: Db; organizationId: string; from: Date; to: Date; limit?: number }) {
  const end = new Date(to.getTime() + 86_400_000);
  const [opening, entries] = await Promise.all([
    db.creditLedgerEntry.aggregate({ where: { organizationId, createdAt: { lt: from } }, _sum: { amount: true } }),
    db.creditLedgerEntry.findMany({ where: { organizationId, createdAt: { gte: from, lt: end } }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], take: limit }),
  ]);
  let running = opening._sum.amount ?? new Prisma.Decimal(0);
  const openingBalance = running.toString();
  const lines: StatementLine[] = entries.map((e) => {
    running = running.plus(e.amount);
    return { id: e.id, createdAt: e.createdAt, kind: e.kind, memo: e.memo, amount: e.amount.toString(), balance: running.toString(), jobId: e.jobId };
  });
  return { openingBalance, closingBalance: running.toString(), lines, truncated: entries.length === limit };
}
