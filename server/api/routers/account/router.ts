import { z } from 'zod';
import { router, sessionProcedure } from '@/server/api/trpc';
import { changePassword } from '@/server/services/users/change-password';
import { deleteAccount } from '@/server/services/users/delete-account';
import { setNotificationPreferences } from '@/server/services/users/notification-preferences';
import { recordAudit } from '@/server/services/audit/record-audit';
import { emailVerificationRequired } from '@/server/services/auth/email-verification';
import { setUserLocale, ZUserLocale } from '@/server/services/users/set-user-locale';

export const accountRouter = router({
  me: sessionProcedure.query(async ({ ctx }) => {
    const user = await ctx.db.user.findUniqueOrThrow({ where: { id: ctx.session.userId }, select: { id: true, email: true, name: true, role: true, createdAt: true, emailVerified: true, locale: true, emailOnJobEnd: true } });
    return { ...user, verificationRequired: emailVerificationRequired() };
  }),
  updateProfile: sessionProcedure.input(z.object({ name: z.string().trim().min(1).max(100) })).mutation(async ({ ctx, input }) => {
    return ctx.db.$transaction(async (tx) => {
      const user = await tx.user.update({ where: { id: ctx.session.userId }, data: { name: input.name }, select: { id: true, name: true } });
      await recordAudit(tx, { actor: { userId: user.id }, action: 'user.update', targetType: 'User', targetId: user.id, data: { name: input.name } });
      return user;
    });
  }),
  setLocale: sessionProcedure.input(z.object({ locale: ZUserLocale })).mutation(({ ctx, input }) => setUserLocale({ db: ctx.db, userId: ctx.session.userId, locale: input.locale })),
  /** Whether the user gets a mail when a job they started ends. */
  setNotifications: sessionProcedure.input(z.object({ emailOnJobEnd: z.boolean() })).mutation(({ ctx, input }) => setNotificationPreferences({ db: ctx.db, userId: ctx.session.userId, emailOnJobEnd: input.emailOnJobEnd })),
  changePassword: sessionProcedure
    .input(z.object({ currentPassword: z.string().max(256), newPassword: z.string().max(256) }))
    .mutation(async ({ ctx, input }) => {
      const sessionVersion = await changePassword({ db: ctx.db, userId: ctx.session.userId, ...input });
      await ctx.renewSession?.(ctx.session, sessionVersion);
      return { ok: true };
    }),
  deleteAccount: sessionProcedure.input(z.object({ confirmEmail: z.string() })).mutation(async ({ ctx, input }) => {
    if (input.confirmEmail.trim().toLowerCase() !== ctx.session.email) {
      return { deleted: false, reason: 'Type your e-mail address exactly to confirm.' } as const;
    }
    await deleteAccount({ db: ctx.db, userId: ctx.session.userId });
    return { deleted: true } as const;
  }),
});
