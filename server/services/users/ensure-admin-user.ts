import type { Db } from '@/server/db';
import { createUser } from '@/server/services/users/create-user';

export const ADMIN_EMAIL = 'admin@lathe.local';

/** The platform administrator that admin-token sessions act as; created on first use, without a password. */
export async function ensureAdminUser({ db }: { db: Db }) {
  const existing = await db.user.findUnique({ where: { email: ADMIN_EMAIL } });
  if (existing) {
    return existing.role === 'ADMIN' ? existing : db.user.update({ where: { id: existing.id }, data: { role: 'ADMIN' } });
  }
  try {
    return (await createUser({ db, email: ADMIN_EMAIL, name: 'Administrator', password: null, admin: true })).user;
  } catch {
    // Two first requests at once: the other one created it.
    return db.user.findUniqueOrThrow({ where: { email: ADMIN_EMAIL } });
  }
}
