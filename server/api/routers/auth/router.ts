import { z } from 'zod';
import { EMAIL_MAX, NAME_MAX, PASSWORD_MAX, SIGN_UP_SENTENCES } from '@/lib/universal/sign-up';
import { publicProcedure, router, sessionProcedure } from '@/server/api/trpc';
import { createUser } from '@/server/services/users/create-user';
import { requestPasswordReset, resetPassword } from '@/server/services/users/reset-password';
import { acceptInvitation } from '@/server/services/orgs/invite-member';
import { createRateLimiter } from '@/server/services/auth/rate-limit';
import { LatheError } from '@/server/services/errors';
import { emailVerificationRequired } from '@/server/services/auth/email-verification';
import { requestEmailVerification, verifyEmail } from '@/server/services/users/verify-email';

// Field errors are sentences, never schema text: a client that skipped the form's own checks
// still reads what to change.
export const ZSignUpRequest = z.object({
  email: z.string().trim().min(3, SIGN_UP_SENTENCES.email_invalid).max(EMAIL_MAX, SIGN_UP_SENTENCES.email_too_long),
  password: z.string().min(1, SIGN_UP_SENTENCES.password_required).max(PASSWORD_MAX, SIGN_UP_SENTENCES.password_too_long),
  name: z.string().trim().max(NAME_MAX, SIGN_UP_SENTENCES.name_too_long).optional(),
});
export type TSignUpRequest = z.infer<typeof ZSignUpRequest>;

const resetLimiter = createRateLimiter({ name: 'password-reset', limit: 5, windowMs: 15 * 60_000 });
const verificationLimiter = createRateLimiter({ name: 'email-verification', limit: 5, windowMs: 15 * 60_000 });

const tooMany = (wait: number, what: string) => new LatheError('TOO_MANY_REQUESTS', `Too many ${what}. Try again in ${Math.ceil(wait / 60)} minutes.`, { retryAfterSeconds: wait });

export const authRouter = router({
  signUp: publicProcedure.input(ZSignUpRequest).mutation(async ({ ctx, input }) => {
    const { user } = await createUser({ db: ctx.db, email: input.email, password: input.password, name: input.name });
    if (emailVerificationRequired()) await requestEmailVerification({ db: ctx.db, userId: user.id, baseUrl: ctx.baseUrl });
    return { id: user.id, email: user.email };
  }),
  requestPasswordReset: publicProcedure.input(z.object({ email: z.string().trim().max(320) })).mutation(async ({ ctx, input }) => {
    const wait = await resetLimiter.hit(ctx.db, `${ctx.clientIp}:${input.email.toLowerCase()}`);
    if (wait) throw tooMany(wait, 'reset requests');
    await requestPasswordReset({ db: ctx.db, email: input.email, baseUrl: ctx.baseUrl });
    return { sent: true };
  }),
  resetPassword: publicProcedure
    .input(z.object({ token: z.string().min(10).max(200), password: z.string().min(1).max(256) }))
    .mutation(async ({ ctx, input }) => {
      await resetPassword({ db: ctx.db, token: input.token, newPassword: input.password });
      return { ok: true };
    }),
  verifyEmail: publicProcedure.input(z.object({ token: z.string().min(10).max(200) })).mutation(async ({ ctx, input }) => {
    await verifyEmail({ db: ctx.db, token: input.token });
    return { verified: true };
  }),
  resendVerification: sessionProcedure.mutation(async ({ ctx }) => {
    const wait = await verificationLimiter.hit(ctx.db, ctx.session.userId);
    if (wait) throw tooMany(wait, 'verification mails');
    return requestEmailVerification({ db: ctx.db, userId: ctx.session.userId, baseUrl: ctx.baseUrl });
  }),
  acceptInvitation: sessionProcedure.input(z.object({ token: z.string().min(10).max(200) })).mutation(({ ctx, input }) =>
    acceptInvitation({ db: ctx.db, token: input.token, userId: ctx.session.userId }),
  ),
});
