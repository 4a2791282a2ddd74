import type { Db } from '@/server/db';
import { verifyPassword } from '@/server/services/auth/password';
import { normalizeEmail } from '@/server/services/auth/email';

// Compared against when the user does not exist, so both paths cost one argon2 verification.
const DUMMY_HASH = '$argon2id$v=19$m=19456,t=2,p=1$fLIjIBt0DwccEPduIQDOyA$qvpt2+g6rqOnEEpQLrEye9SZPbHiAkJjcBWvYe7ZxyE';

/** The user for an e-mail and password, or null; never says which of the two was wrong. */
export async function authenticateUser({ db, email, password }: { db: Db; email: string; password: string }) {
  const user = await db.user.findUnique({
    where: { email: normalizeEmail(email) },
    select: { id: true, email: true, name: true, role: true, passwordHash: true, sessionVersion: true },
  });
  const ok = await verifyPassword(user?.passwordHash ?? DUMMY_HASH, password);
  if (!user || !user.passwordHash || !ok) return null;
  return { id: user.id, email: user.email, name: user.name, role: user.role, sessionVersion: user.sessionVersion };
}
