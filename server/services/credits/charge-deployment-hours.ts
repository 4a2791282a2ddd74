// Deployment hours: when the price book sets `deploymentHour`, an organization's own base model that
// is deployed and ready is charged that price for every clock hour (UTC) in which it was seen ready,
// started hours counted whole. The worker samples ready deployments every minute and undeploying
// charges the hour it stops in, so an hour is charged even when it ends between two samples. The
// ledger key names the deployment and the hour, so each hour is charged once however many workers
// sample it. Platform models serve every organization and are paid for by their tokens alone.
import type { Db } from '@/server/db';
import { sizeClassOf } from '@/lib/universal/price-book';
import { getPriceBook } from '@/server/services/billing/price-book';
import { chargeUsage } from '@/server/services/credits/ledger';

export type ChargeDeploymentHoursOptions = {
  db: Db;
  /** The moment sampled; its clock hour is the one charged. */
  at?: Date;
  /** Only this base model's deployments (undeploying charges the hour it stops in). */
  baseModelId?: string;
};

/** What this call charged (for the worker's log). */
export type ChargeDeploymentHoursResult = { charged: number; credits: string };

/** The start of the UTC clock hour holding `at`. */
export function hourOf(at: Date): Date {
  const hour = new Date(at);
  hour.setUTCMinutes(0, 0, 0);
  return hour;
}

export function deploymentHourKey(deploymentId: string, hour: Date): string {
  return `deployment-hour:${deploymentId}:${hour.toISOString().slice(0, 13)}`;
}

/** Charges the current hour of every ready deployment of an organization's model; idempotent per hour. */
export async function chargeDeploymentHours({ db, at = new Date(), baseModelId }: ChargeDeploymentHoursOptions): Promise<ChargeDeploymentHoursResult> {
  const book = await getPriceBook({ db });
  const result: ChargeDeploymentHoursResult = { charged: 0, credits: '0' };
  if (!book.deploymentHour) return result;
  const hour = hourOf(at);
  const deployments = await db.deployment.findMany({
    where: { status: 'READY', ...(baseModelId ? { baseModelId } : {}), baseModel: { organizationId: { not: null } } },
    select: { id: true, baseModel: { select: { id: true, name: true, organizationId: true, parameters: true } } },
  });
  let credits = 0;
  for (const deployment of deployments) {
    const organizationId = deployment.baseModel.organizationId;
    const sizeClass = sizeClassOf(deployment.baseModel.parameters);
    const price = book.deploymentHour[sizeClass] ?? 0;
    if (!organizationId || price <= 0) continue;
    const idempotencyKey = deploymentHourKey(deployment.id, hour);
    if (await db.creditLedgerEntry.findUnique({ where: { idempotencyKey }, select: { id: true } })) continue;
    const hourLabel = `${hour.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
    const entry = await chargeUsage({
      db,
      organizationId,
      amount: price,
      idempotencyKey,
      deploymentId: deployment.id,
      memo: `deployment of ${deployment.baseModel.name}, hour from ${hourLabel}`,
      audit: { action: 'credits.deployment_hour', data: { deploymentId: deployment.id, baseModelId: deployment.baseModel.id, hour: hour.toISOString(), sizeClass, pricePerHour: price } },
    });
    // Counted for the log; a worker sampling at the same moment may have written the same entry.
    if (entry) {
      result.charged++;
      credits += price;
    }
  }
  result.credits = String(credits);
  return result;
}
