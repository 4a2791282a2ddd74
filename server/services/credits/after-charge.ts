// What follows a charge, after its transaction commits: cap alerts and auto top-up. Never throws:
// the charge itself has happened, and these are retried by the next charge.
import type { Db } from '@/server/db';
import { logger } from '@/server/logger';
import { sendCapAlerts } from '@/server/services/billing/spend-controls';
import { maybeAutoTopUp } from '@/server/services/billing/auto-top-up';

export async function afterCharge({ db, organizationId, apiKeyId = null }: { db: Db; organizationId: string; apiKeyId?: string | null }) {
  try {
    const [account, key] = await Promise.all([
      db.billingAccount.findUnique({ where: { organizationId }, select: { monthlySpendCap: true, autoTopUpEnabled: true } }),
      apiKeyId ? db.apiKey.findUnique({ where: { id: apiKeyId }, select: { monthlySpendCap: true } }) : null,
    ]);
    if (account?.monthlySpendCap || key?.monthlySpendCap) await sendCapAlerts({ db, organizationId, apiKeyId });
    if (account?.autoTopUpEnabled) await maybeAutoTopUp({ db, organizationId });
  } catch (error) {
    logger.error({ err: error, organizationId }, 'cap alerts or auto top-up after a charge failed');
  }
}
