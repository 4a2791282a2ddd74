import type { Db } from '@/server/db';
import { LatheError } from '@/server/services/errors';
import { ADMIN_EMAIL } from '@/server/services/auth/email';
import { createUser } from '@/server/services/users/create-user';

/**
 * The platform administrator that admin-token sessions act as; created on first use, without a
 * password. An account that holds the address without being an administrator is never promoted:
 * it can only have come from a sign-up made before the address was reserved.
 */
export async function ensureAdminUser({ db }: { db: Db }): Promise<{ id: string; email: string; name: string | null; sessionVersion: number }> {
  const existing = await db.user.findUnique({ where: { email: ADMIN_EMAIL } });
  if (existing?.role === 'ADMIN') return existing;
  if (existing) {
    throw new LatheError('CONFLICT', `${ADMIN_EMAIL} belongs to an account that is not a platform administrator, so admin sign-in will not use it. Delete that account (lathe user delete --email ${ADMIN_EMAIL}), then try again.`, {
      reason: 'admin_email_taken',
    });
  }
  try {
    return (await createUser({ db, email: ADMIN_EMAIL, name: 'Administrator', password: null, admin: true })).user;
  } catch (error) {
    // Two first requests at once: the other one created it.
    if (error instanceof LatheError && error.details.reason === 'email_taken') return ensureAdminUser({ db });
    throw error;
  }
}
