import { z } from 'zod';
import type { Db } from '@/server/db';
import { locales } from '@/lib/universal/locales';
import { recordAudit } from '@/server/services/audit/record-audit';

/** A supported language code, or null to follow the browser again. */
export const ZUserLocale = z.enum(locales).nullable();

/** Stores the language of a user's dashboard and mails. */
export async function setUserLocale({ db, userId, locale }: { db: Db; userId: string; locale: z.infer<typeof ZUserLocale> }) {
  return db.$transaction(async (tx) => {
    const user = await tx.user.update({ where: { id: userId }, data: { locale }, select: { id: true, locale: true } });
    await recordAudit(tx, { actor: { userId }, action: 'user.update', targetType: 'User', targetId: userId, data: { locale } });
    return user;
  });
}
