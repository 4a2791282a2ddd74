// The delivery log is kept for LATHE_WEBHOOK_LOG_DAYS (30 by default): older events go, and with
// them their deliveries and tries (the foreign keys cascade). A delivery is retried for a day at
// most, so nothing pruned is still in flight.
import type { Db } from '@/server/db';

export function webhookLogDays(env: Record<string, string | undefined> = process.env): number {
  const days = Number(env.LATHE_WEBHOOK_LOG_DAYS ?? 30);
  return Number.isFinite(days) && days >= 2 ? days : 30;
}

export async function pruneWebhookLog({ db, days = webhookLogDays(), now = new Date() }: { db: Db; days?: number; now?: Date }) {
  const { count } = await db.webhookEvent.deleteMany({ where: { createdAt: { lt: new Date(now.getTime() - days * 24 * 3600_000) } } });
  return count;
}
