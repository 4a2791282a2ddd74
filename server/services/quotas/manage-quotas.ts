// Per-organization limits on what costs the platform disk and runners: concurrent deployments,
// concurrent fine-tuning jobs, stored bytes and model imports per 24 hours. Defaults come from the
// environment (LATHE_QUOTA_*); a platform administrator may set any of them per organization.
import { z } from 'zod';
import type { Db } from '@/server/db';
import { recordAudit, type AuditActor } from '@/server/services/audit/record-audit';
import { LatheError } from '@/server/services/errors';

export const QUOTA_KEYS = ['concurrentDeployments', 'concurrentJobs', 'storageBytes', 'importsPerDay'] as const;
export type QuotaKey = (typeof QUOTA_KEYS)[number];
export type QuotaLimits = Record<QuotaKey, number>;

const GIB = 1024 ** 3;

/** Each limit's environment variable, default, and column of OrganizationQuota. */
export const QUOTA_SETTINGS: Record<QuotaKey, { env: string; fallback: number; column: string }> = {
  concurrentDeployments: { env: 'LATHE_QUOTA_CONCURRENT_DEPLOYMENTS', fallback: 2, column: 'maxConcurrentDeployments' },
  concurrentJobs: { env: 'LATHE_QUOTA_CONCURRENT_JOBS', fallback: 4, column: 'maxConcurrentJobs' },
  storageBytes: { env: 'LATHE_QUOTA_STORAGE_BYTES', fallback: 100 * GIB, column: 'maxStorageBytes' },
  importsPerDay: { env: 'LATHE_QUOTA_IMPORTS_PER_DAY', fallback: 20, column: 'maxImportsPerDay' },
};

/** The limits every organization has unless a platform administrator set its own. */
export function quotaDefaults(env: Record<string, string | undefined> = process.env): QuotaLimits {
  const limits = {} as QuotaLimits;
  for (const key of QUOTA_KEYS) {
    const { env: name, fallback } = QUOTA_SETTINGS[key];
    const raw = env[name]?.trim();
    const value = raw ? Number(raw) : fallback;
    if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name} must be a whole number of 0 or more, not "${raw}"`);
    limits[key] = value;
  }
  return limits;
}

/** What raw SQL needs: a client, a transaction, or a tenant's (the tenant extension does not touch raw queries). */
export type RawClient = {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
  $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number>;
};

export type QuotaUsage = {
  concurrentDeployments: number;
  concurrentJobs: number;
  storageBytes: number;
  /** Model imports requested in the last 24 hours, and when the oldest of them leaves the window. */
  importsPerDay: number;
  importsWindowFreesAt: Date | null;
};

export type OrganizationQuotas = {
  organizationId: string;
  /** What applies: the organization's own limits where set, the defaults elsewhere. */
  limits: QuotaLimits;
  /** The limits a platform administrator set for this organization. */
  overrides: Partial<QuotaLimits>;
  defaults: QuotaLimits;
  usage: QuotaUsage;
};

export const IMPORT_WINDOW_MS = 24 * 3600 * 1000;

export async function readOverrides(db: RawClient, organizationId: string): Promise<Partial<QuotaLimits>> {
  const columns = QUOTA_KEYS.map((key) => `"${QUOTA_SETTINGS[key].column}"::float8 AS "${key}"`).join(', ');
  const [row] = await db.$queryRawUnsafe<Array<Record<QuotaKey, number | null>>>(`SELECT ${columns} FROM "OrganizationQuota" WHERE "organizationId" = $1`, organizationId);
  const overrides: Partial<QuotaLimits> = {};
  for (const key of QUOTA_KEYS) if (row?.[key] !== null && row?.[key] !== undefined) overrides[key] = Number(row[key]);
  return overrides;
}

export async function quotaLimits(db: RawClient, organizationId: string): Promise<QuotaLimits> {
  return { ...quotaDefaults(), ...(await readOverrides(db, organizationId)) };
}

const ACTIVE_JOBS = `'validating_files', 'queued', 'running'`;
const ACTIVE_DEPLOYMENTS = `'REQUESTED', 'LOADING', 'READY'`;

export async function countActiveJobs(db: RawClient, organizationId: string): Promise<number> {
  const [row] = await db.$queryRawUnsafe<[{ n: number }]>(`SELECT COUNT(*)::int AS n FROM "TrainingJob" WHERE "organizationId" = $1 AND "status"::text IN (${ACTIVE_JOBS})`, organizationId);
  return row.n;
}

/** Deployments of the organization's own base models; a platform model's serves everyone and counts against nobody. */
export async function countActiveDeployments(db: RawClient, organizationId: string): Promise<number> {
  const [row] = await db.$queryRawUnsafe<[{ n: number }]>(
    `SELECT COUNT(*)::int AS n FROM "Deployment" d JOIN "BaseModel" b ON b."id" = d."baseModelId" WHERE b."organizationId" = $1 AND d."status"::text IN (${ACTIVE_DEPLOYMENTS})`,
    organizationId,
  );
  return row.n;
}

/**
 * Bytes the organization stores: its datasets and its base models (for a model being imported,
 * the size reserved when its download or copy began). Failed imports count nothing.
 */
export async function storedBytes(db: RawClient, organizationId: string, excludeModelId: string | null = null): Promise<number> {
  const [row] = await db.$queryRawUnsafe<[{ bytes: number }]>(
    `SELECT (COALESCE((SELECT SUM("sizeBytes") FROM "Dataset" WHERE "organizationId" = $1), 0)
           + COALESCE((SELECT SUM("sizeBytes") FROM "BaseModel" WHERE "organizationId" = $1 AND "status"::text <> 'FAILED' AND ($2::text IS NULL OR "id" <> $2)), 0))::float8 AS bytes`,
    organizationId,
    excludeModelId,
  );
  return Number(row.bytes);
}

export async function recentImports(db: RawClient, organizationId: string): Promise<{ count: number; oldest: Date | null }> {
  const [row] = await db.$queryRawUnsafe<[{ n: number; oldest: Date | null }]>(
    `SELECT COUNT(*)::int AS n, MIN("createdAt") AS oldest FROM "AuditLogEntry" WHERE "organizationId" = $1 AND "action" = 'model.import' AND "createdAt" > $2`,
    organizationId,
    new Date(Date.now() - IMPORT_WINDOW_MS),
  );
  return { count: row.n, oldest: row.oldest };
}

export async function quotaUsage(db: RawClient, organizationId: string): Promise<QuotaUsage> {
  const [concurrentDeployments, concurrentJobs, storageBytes, imports] = await Promise.all([
    countActiveDeployments(db, organizationId),
    countActiveJobs(db, organizationId),
    storedBytes(db, organizationId),
    recentImports(db, organizationId),
  ]);
  return {
    concurrentDeployments,
    concurrentJobs,
    storageBytes,
    importsPerDay: imports.count,
    importsWindowFreesAt: imports.oldest ? new Date(imports.oldest.getTime() + IMPORT_WINDOW_MS) : null,
  };
}

export async function getOrganizationQuotas({ db, organizationId }: { db: RawClient; organizationId: string }): Promise<OrganizationQuotas> {
  const defaults = quotaDefaults();
  const [overrides, usage] = await Promise.all([readOverrides(db, organizationId), quotaUsage(db, organizationId)]);
  return { organizationId, limits: { ...defaults, ...overrides }, overrides, defaults, usage };
}

const ZLimit = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).nullable().optional();

/** A platform administrator's change: a number sets a limit, null returns it to the default, absent leaves it. */
export const ZQuotaOverrides = z.object({ concurrentDeployments: ZLimit, concurrentJobs: ZLimit, storageBytes: ZLimit, importsPerDay: ZLimit }).strict();
export type TQuotaOverrides = z.infer<typeof ZQuotaOverrides>;

export async function setOrganizationQuotas({ db, organizationId, overrides, actor }: { db: Db; organizationId: string; overrides: TQuotaOverrides; actor: AuditActor }): Promise<OrganizationQuotas> {
  const parsed = ZQuotaOverrides.safeParse(overrides);
  if (!parsed.success) throw new LatheError('BAD_REQUEST', `Invalid limit ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`, { param: String(parsed.error.issues[0]?.path[0] ?? '') });
  const organization = await db.organization.findUnique({ where: { id: organizationId }, select: { id: true } });
  if (!organization) throw new LatheError('NOT_FOUND', `Organization ${organizationId} not found.`, { param: 'organizationId' });
  const data = {
    ...(parsed.data.concurrentDeployments !== undefined ? { maxConcurrentDeployments: parsed.data.concurrentDeployments } : {}),
    ...(parsed.data.concurrentJobs !== undefined ? { maxConcurrentJobs: parsed.data.concurrentJobs } : {}),
    ...(parsed.data.storageBytes !== undefined ? { maxStorageBytes: parsed.data.storageBytes === null ? null : BigInt(parsed.data.storageBytes) } : {}),
    ...(parsed.data.importsPerDay !== undefined ? { maxImportsPerDay: parsed.data.importsPerDay } : {}),
    updatedById: actor.userId ?? null,
  };
  await db.$transaction(async (tx) => {
    await tx.organizationQuota.upsert({ where: { organizationId }, create: { organizationId, ...data }, update: data });
    await recordAudit(tx, { organizationId, actor, action: 'organization.quota.set', targetType: 'Organization', targetId: organizationId, data: { ...parsed.data } });
  });
  return getOrganizationQuotas({ db, organizationId });
}
