// The checks that hold an organization to its limits (manage-quotas.ts), each made inside the
// transaction that creates what it counts, under a per-organization lock, so two requests at
// once cannot both take the last slot.
import { LatheError } from '@/server/services/errors';
import { formatBytes } from '@/lib/universal/format-bytes';
import { countActiveDeployments, countActiveJobs, IMPORT_WINDOW_MS, quotaLimits, recentImports, storedBytes, type RawClient } from './manage-quotas';

const QUOTA_LOCK_KEY = 7_341_011;

/** Serializes the quota checks of one organization until the end of the transaction. */
export async function lockQuotas(tx: RawClient, organizationId: string): Promise<void> {
  await tx.$executeRawUnsafe('SELECT pg_advisory_xact_lock($1, hashtext($2))', QUOTA_LOCK_KEY, organizationId);
}

const raise = 'ask a platform administrator to raise the limit';

export async function assertJobSlot(tx: RawClient, organizationId: string): Promise<void> {
  await lockQuotas(tx, organizationId);
  const [{ concurrentJobs: limit }, active] = await Promise.all([quotaLimits(tx, organizationId), countActiveJobs(tx, organizationId)]);
  if (active >= limit) {
    throw new LatheError('TOO_MANY_REQUESTS', `Your organization has ${active} fine-tuning ${active === 1 ? 'job' : 'jobs'} in progress, its limit of ${limit}. Wait for one to finish or cancel one, or ${raise}.`, {
      reason: 'concurrent_jobs_limit',
      retryAfterSeconds: 60,
    });
  }
}

export async function assertDeploymentSlot(tx: RawClient, organizationId: string): Promise<void> {
  await lockQuotas(tx, organizationId);
  const [{ concurrentDeployments: limit }, active] = await Promise.all([quotaLimits(tx, organizationId), countActiveDeployments(tx, organizationId)]);
  if (active >= limit) {
    throw new LatheError('TOO_MANY_REQUESTS', `Your organization has ${active} ${active === 1 ? 'model' : 'models'} deployed, its limit of ${limit}. Undeploy one on the Models page, or ${raise}.`, {
      reason: 'concurrent_deployments_limit',
      retryAfterSeconds: 60,
    });
  }
}

/** The bytes the organization may still store; `excludeModelId` leaves out that model's own reservation. */
export async function storageLeft(db: RawClient, organizationId: string, excludeModelId: string | null = null): Promise<{ left: number; limit: number; used: number }> {
  const [{ storageBytes: limit }, used] = await Promise.all([quotaLimits(db, organizationId), storedBytes(db, organizationId, excludeModelId)]);
  return { left: Math.max(0, limit - used), limit, used };
}

/** Refuses `bytes` more when they do not fit in what the organization has left; `what` names them in the message. */
export async function assertStorageFor(db: RawClient, organizationId: string, bytes: number, what: string, options: { excludeModelId?: string; lock?: boolean } = {}): Promise<void> {
  if (options.lock !== false) await lockQuotas(db, organizationId);
  const { left, limit } = await storageLeft(db, organizationId, options.excludeModelId ?? null);
  if (bytes > left || left === 0) {
    throw new LatheError(
      'PAYLOAD_TOO_LARGE',
      `${what} ${bytes > 0 ? `needs ${formatBytes(bytes)}, but your organization has ${formatBytes(left)}` : `needs storage, but your organization has none`} left of its ${formatBytes(limit)} storage. Delete datasets or models you no longer need, or ${raise}.`,
      { reason: 'storage_quota_exceeded' },
    );
  }
}

export async function assertImportAllowed(tx: RawClient, organizationId: string): Promise<void> {
  await lockQuotas(tx, organizationId);
  const [{ importsPerDay: limit }, recent] = await Promise.all([quotaLimits(tx, organizationId), recentImports(tx, organizationId)]);
  if (recent.count >= limit) {
    const freesAt = recent.oldest ? recent.oldest.getTime() + IMPORT_WINDOW_MS : Date.now() + IMPORT_WINDOW_MS;
    const seconds = Math.max(1, Math.ceil((freesAt - Date.now()) / 1000));
    throw new LatheError('TOO_MANY_REQUESTS', `Your organization imported ${recent.count} ${recent.count === 1 ? 'model' : 'models'} in the last 24 hours, its limit of ${limit}. Try again in ${formatWait(seconds)}, or ${raise}.`, {
      reason: 'import_limit_reached',
      retryAfterSeconds: seconds,
    });
  }
}

function formatWait(seconds: number): string {
  if (seconds < 90) return `${seconds} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} minutes`;
  return `${Math.round(seconds / 3600)} hours`;
}
