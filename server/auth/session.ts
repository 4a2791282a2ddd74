// Reads the next-auth session (a JWT in a cookie) from request headers, without next-auth's
// request machinery, so the tRPC context, REST routes and socket.io all resolve it the same way.
import { decode, encode, type JWT } from 'next-auth/jwt';
import { getDb, type Db } from '@/server/db';
import { sessionState } from '@/server/services/auth/session-state';

export const SESSION_MAX_AGE_S = 30 * 24 * 60 * 60;
const COOKIE_NAMES = ['__Secure-next-auth.session-token', 'next-auth.session-token'];

export type SessionUser = { userId: string; email: string; role: 'USER' | 'ADMIN'; name: string | null };

export function parseCookies(header: string | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    const name = part.slice(0, i).trim();
    if (!name || name in out) continue;
    try {
      out[name] = decodeURIComponent(part.slice(i + 1).trim());
    } catch {
      out[name] = part.slice(i + 1).trim();
    }
  }
  return out;
}

export function sessionCookieName(secure: boolean) {
  return secure ? COOKIE_NAMES[0]! : COOKIE_NAMES[1]!;
}

/**
 * The signed-in user of a request, or null. A cookie issued before the user's session version last
 * rose (password, role or account changed) no longer counts; the role is the row's, not the cookie's.
 */
export async function readSession(cookieHeader: string | null | undefined, secret: string, db: Db = getDb()): Promise<SessionUser | null> {
  const cookies = parseCookies(cookieHeader);
  const raw = COOKIE_NAMES.map((n) => cookies[n]).find(Boolean);
  if (!raw) return null;
  let token: JWT | null = null;
  try {
    token = await decode({ token: raw, secret });
  } catch {
    return null;
  }
  if (!token?.sub || typeof token.email !== 'string') return null;
  const state = await liveSessionState(token, db);
  return state && { userId: token.sub, email: state.email, role: state.role, name: state.name };
}

/** The user's row behind a decoded session, or null when that session has ended. */
export async function liveSessionState(token: JWT, db: Db = getDb()) {
  if (!token.sub) return null;
  const state = await sessionState(db, token.sub);
  // Cookies issued before session versions existed carry none and count as the first version.
  const version = typeof token.sv === 'number' ? token.sv : 0;
  return state?.sessionVersion === version ? state : null;
}

export function encodeSession(user: SessionUser, secret: string, sessionVersion: number) {
  return encode({ token: { sub: user.userId, email: user.email, name: user.name, role: user.role, sv: sessionVersion }, secret, maxAge: SESSION_MAX_AGE_S });
}

/** A Set-Cookie header value that signs the user in, as next-auth's own sign-in would. */
export async function sessionCookieHeader(user: SessionUser, sessionVersion: number, { secret, secure }: { secret: string; secure: boolean }) {
  const value = await encodeSession(user, secret, sessionVersion);
  return [`${sessionCookieName(secure)}=${value}`, 'Path=/', `Max-Age=${SESSION_MAX_AGE_S}`, 'HttpOnly', 'SameSite=Lax', ...(secure ? ['Secure'] : [])].join('; ');
}
