import type { Db } from '@/server/db';
import { LatheError } from '@/server/services/errors';
import { ADMIN_EMAIL, normalizeEmail } from '@/server/services/auth/email';
import { emailVerificationRequired } from '@/server/services/auth/email-verification';
import { createUser } from '@/server/services/users/create-user';

export type OAuthSignIn = {
  db: Db;
  email: string;
  name: string | null;
  provider: string;
  providerAccountId: string;
  /** Whether the provider says it verified the address; an unverified one links and creates nothing. */
  emailVerified: boolean;
};

const PROVIDER_NAMES: Record<string, string> = { github: 'GitHub', google: 'Google' };

/**
 * The Lathe user behind an OAuth identity: the one it was linked to before, else the account with
 * the same address (only when the provider verified it, and the account did too where
 * verification is on), else a new account.
 */
export async function findOrCreateOAuthUser(opts: OAuthSignIn) {
  const { db } = opts;
  const account = await db.account.findUnique({
    where: { provider_providerAccountId: { provider: opts.provider, providerAccountId: opts.providerAccountId } },
    include: { user: true },
  });
  if (account) return account.user;
  const email = normalizeEmail(opts.email);
  const provider = PROVIDER_NAMES[opts.provider] ?? opts.provider;
  if (!opts.emailVerified) {
    throw new LatheError('FORBIDDEN', `${provider} has not verified ${email}. Verify it there, then sign in again.`, { reason: 'oauth_email_unverified' });
  }
  if (email === ADMIN_EMAIL) {
    throw new LatheError('FORBIDDEN', `${ADMIN_EMAIL} is reserved for the platform administrator and cannot be signed in to with ${provider}.`, { reason: 'reserved_email' });
  }
  const existing = await db.user.findUnique({ where: { email } });
  if (existing && !existing.emailVerified && emailVerificationRequired()) {
    throw new LatheError('FORBIDDEN', `The Lathe account for ${email} has not verified its address yet. Sign in with its password and open the verification link (or reset the password), then continue with ${provider}.`, {
      reason: 'email_unverified',
    });
  }
  const user = existing ?? (await createUser({ db, email, name: opts.name, password: null, emailVerified: new Date() })).user;
  await db.account.create({ data: { userId: user.id, type: 'oauth', provider: opts.provider, providerAccountId: opts.providerAccountId } });
  return user;
}
