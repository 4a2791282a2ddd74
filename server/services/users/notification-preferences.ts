// A user's notification preferences: for now, whether Lathe mails them when a job they started
// ends (on by default; see server/services/training/job-end-mail.ts).
import type { Db } from '@/server/db';
import { recordAudit } from '@/server/services/audit/record-audit';

export async function setNotificationPreferences({ db, userId, emailOnJobEnd }: { db: Db; userId: string; emailOnJobEnd: boolean }) {
  return db.$transaction(async (tx) => {
    const user = await tx.user.update({ where: { id: userId }, data: { emailOnJobEnd }, select: { emailOnJobEnd: true } });
    await recordAudit(tx, { actor: { userId }, action: 'user.update', targetType: 'User', targetId: userId, data: { emailOnJobEnd } });
    return user;
  });
}
