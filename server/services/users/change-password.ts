import type { Db } from '@/server/db';
import { LatheError } from '@/server/services/errors';
import { assertStrongPassword, hashPassword, verifyPassword } from '@/server/services/auth/password';
import { recordAudit } from '@/server/services/audit/record-audit';
import { endSessions, forgetSessionState } from '@/server/services/auth/session-state';

export type ChangePasswordOptions = { db: Db; userId: string; currentPassword: string; newPassword: string };

/** Ends every session of the user; returns the session version that keeps the caller's own browser signed in. */
export async function changePassword({ db, userId, currentPassword, newPassword }: ChangePasswordOptions) {
  const user = await db.user.findUniqueOrThrow({ where: { id: userId }, select: { email: true, passwordHash: true } });
  if (!user.passwordHash || !(await verifyPassword(user.passwordHash, currentPassword))) {
    throw new LatheError('BAD_REQUEST', 'Your current password is not correct.', { param: 'currentPassword', reason: 'wrong_password' });
  }
  assertStrongPassword(newPassword, user.email);
  const passwordHash = await hashPassword(newPassword);
  const sessionVersion = await db.$transaction(async (tx) => {
    await tx.user.update({ where: { id: userId }, data: { passwordHash } });
    await recordAudit(tx, { actor: { userId }, action: 'user.password.change', targetType: 'User', targetId: userId });
    return endSessions(tx, userId);
  });
  forgetSessionState(userId);
  return sessionVersion;
}
