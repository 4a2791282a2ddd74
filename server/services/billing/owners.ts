// Mail to an organization's owners about its billing (auto top-up failures, disputes, cap alerts).
import type { Db } from '@/server/db';
import { logger } from '@/server/logger';
import { sendMail } from '@/server/services/mail/send-mail';

export async function mailOwners({ db, organizationId, subject, text }: { db: Db; organizationId: string; subject: string; text: string }) {
  const owners = await db.membership.findMany({ where: { organizationId, role: 'OWNER' }, select: { user: { select: { email: true } } } });
  for (const owner of owners) {
    try {
      await sendMail({ to: owner.user.email, subject, text });
    } catch (error) {
      logger.error({ err: error, organizationId, subject }, 'mailing an organization owner failed');
    }
  }
}
