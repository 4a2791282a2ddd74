// The lock that orders every credit movement of one organization (ledger writes and Stripe payments).
import type { Tx } from '@/server/db';

/** Orders every credit movement of one organization within the caller's transaction. */
export async function lockOrganization(tx: Tx, organizationId: string) {
  await tx.$executeRawUnsafe('SELECT pg_advisory_xact_lock(hashtext($1))', `credits:${organizationId}`);
}
