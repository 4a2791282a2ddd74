// next-auth: e-mail and password (argon2id) always; GitHub and Google when configured. Sessions are
// JWTs in a cookie (server/auth/session.ts reads them for tRPC, REST and socket.io).
import type { NextAuthOptions } from 'next-auth';
import CredentialsProvider from 'next-auth/providers/credentials';
import { getDb } from '@/server/db';
import { env } from '@/server/env';
import { authenticateUser } from '@/server/services/users/authenticate-user';
import { clientAddressOf } from '@/server/services/auth/client-address';
import { admitSignInAttempt, recordSignInSuccess } from '@/server/services/auth/sign-in-throttle';
import { findOrCreateOAuthUser } from '@/server/services/users/oauth-user';
import { liveSessionState, SESSION_MAX_AGE_S } from '@/server/auth/session';
import { sameOriginPath } from '@/lib/universal/same-origin-path';
import { githubProvider, googleProvider, type VerifiedProfile } from '@/server/auth/oauth-profiles';
import { LatheError } from '@/server/services/errors';
import { logger } from '@/server/logger';

export const RATE_LIMITED = 'RateLimited';
const MAX_EMAIL_LENGTH = 320;

export function oauthProviders() {
  return {
    github: Boolean(env.GITHUB_ID && env.GITHUB_SECRET),
    google: Boolean(env.GOOGLE_ID && env.GOOGLE_SECRET),
  };
}

export function authOptions(): NextAuthOptions {
  const providers: NextAuthOptions['providers'] = [
    CredentialsProvider({
      name: 'E-mail',
      credentials: { email: { label: 'E-mail', type: 'email' }, password: { label: 'Password', type: 'password' } },
      async authorize(credentials, req) {
        const email = credentials?.email?.trim().toLowerCase() ?? '';
        const password = credentials?.password ?? '';
        if (!email || !password || email.length > MAX_EMAIL_LENGTH) return null;
        const db = getDb();
        const admission = await admitSignInAttempt({
          db,
          email,
          address: clientAddressOf(req?.headers),
          policy: { freeAttempts: env.SIGN_IN_FREE_ATTEMPTS, firstDelaySeconds: env.SIGN_IN_FIRST_DELAY_S, maxDelaySeconds: env.SIGN_IN_MAX_DELAY_S },
        });
        if (!admission.admitted) throw new Error(`${RATE_LIMITED}:${admission.waitSeconds}`);
        const user = await authenticateUser({ db, email, password });
        if (!user) return null;
        await recordSignInSuccess({ db, attempt: admission.attempt });
        return { id: user.id, email: user.email, name: user.name, role: user.role, sessionVersion: user.sessionVersion };
      },
    }),
  ];
  if (env.GITHUB_ID && env.GITHUB_SECRET) providers.push(githubProvider({ clientId: env.GITHUB_ID, clientSecret: env.GITHUB_SECRET }));
  if (env.GOOGLE_ID && env.GOOGLE_SECRET) providers.push(googleProvider({ clientId: env.GOOGLE_ID, clientSecret: env.GOOGLE_SECRET }));

  const oauthUser = (user: VerifiedProfile, provider: string, providerAccountId: string) =>
    findOrCreateOAuthUser({ db: getDb(), email: user.email ?? '', name: user.name, provider, providerAccountId, emailVerified: user.emailVerified === true });

  return {
    secret: env.AUTH_SECRET,
    session: { strategy: 'jwt', maxAge: SESSION_MAX_AGE_S },
    pages: { signIn: '/sign-in', error: '/sign-in' },
    providers,
    logger: {
      error: (code, metadata) => logger.error({ code, metadata }, 'auth error'),
      warn: (code) => logger.warn({ code }, 'auth warning'),
      debug: () => {},
    },
    callbacks: {
      // OAuth returns here with the callback it was given: only a path on this origin is followed.
      async redirect({ url, baseUrl }) {
        const target = sameOriginPath(url, baseUrl);
        return target ? `${baseUrl}${target}` : baseUrl;
      },
      async signIn({ user, account }) {
        if (!account || account.provider === 'credentials') return true;
        if (!user.email) return false;
        try {
          await oauthUser(user as VerifiedProfile, account.provider, account.providerAccountId);
          return true;
        } catch (error) {
          // The sign-in page names the reason (an unverified or reserved address) instead of a generic failure.
          if (error instanceof LatheError) return `/sign-in?error=${error.details.reason ?? 'generic'}`;
          throw error;
        }
      },
      async jwt({ token, user, account }) {
        if (account && account.provider !== 'credentials' && user?.email) {
          const linked = await oauthUser(user as VerifiedProfile, account.provider, account.providerAccountId);
          Object.assign(token, { sub: linked.id, role: linked.role, email: linked.email, sv: linked.sessionVersion });
        } else if (user) {
          const signedIn = user as { id: string; role?: string; sessionVersion?: number };
          Object.assign(token, { sub: signedIn.id, role: signedIn.role ?? 'USER', sv: signedIn.sessionVersion ?? 0 });
        } else {
          // Refreshing a session that a password, role or account change ended: next-auth drops the cookie.
          if (!(await liveSessionState(token))) throw new Error('This session has ended; sign in again.');
        }
        return token;
      },
      async session({ session, token }) {
        return { ...session, user: { ...session.user, id: token.sub, role: token.role } };
      },
    },
  };
}
