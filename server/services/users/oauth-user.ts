import type { Db } from '@/server/db';
import { normalizeEmail } from '@/server/services/auth/email';
import { createUser } from '@/server/services/users/create-user';

/** The Lathe user behind an OAuth identity: linked by provider account, then by verified e-mail. */
export async function findOrCreateOAuthUser(opts: { db: Db; email: string; name: string | null; provider: string; providerAccountId: string }) {
  const { db } = opts;
  const account = await db.account.findUnique({
    where: { provider_providerAccountId: { provider: opts.provider, providerAccountId: opts.providerAccountId } },
    include: { user: true },
  });
  if (account) return account.user;
  const email = normalizeEmail(opts.email);
  const user = (await db.user.findUnique({ where: { email } })) ?? (await createUser({ db, email, name: opts.name, password: null })).user;
  await db.account.create({ data: { userId: user.id, type: 'oauth', provider: opts.provider, providerAccountId: opts.providerAccountId } });
  return user;
}
