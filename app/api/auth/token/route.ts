// POST {"token": ADMIN_TOKEN} → a session cookie for the platform administrator, for browser
// tests and operations tools. Off unless ADMIN_TOKEN is set.
import { timingSafeEqual } from 'node:crypto';
import { NextResponse } from 'next/server';
import { z } from 'zod';
import { getDb } from '@/server/db';
import { env, publicUrl } from '@/server/env';
import { encodeSession, SESSION_MAX_AGE_S, sessionCookieName } from '@/server/auth/session';
import { ensureAdminUser } from '@/server/services/users/ensure-admin-user';
import { readAuthBody } from '@/app/api/auth/auth-body';

const ZBody = z.object({ token: z.string().min(1).max(1000) });

function matches(given: string, expected: string) {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export async function POST(req: Request) {
  if (!env.ADMIN_TOKEN) return NextResponse.json({ error: 'Admin token sign-in is disabled: set ADMIN_TOKEN to enable it.' }, { status: 404 });
  const body = await readAuthBody(req);
  if ('refusal' in body) return body.refusal;
  const parsed = ZBody.safeParse(body.json);
  if (!parsed.success) return NextResponse.json({ error: 'Send a JSON body {"token": "..."}.' }, { status: 400 });
  if (!matches(parsed.data.token, env.ADMIN_TOKEN)) return NextResponse.json({ error: 'Invalid admin token.' }, { status: 401 });
  const admin = await ensureAdminUser({ db: getDb() });
  const secure = publicUrl().startsWith('https://');
  const cookie = await encodeSession({ userId: admin.id, email: admin.email, role: 'ADMIN', name: admin.name }, env.AUTH_SECRET);
  const res = NextResponse.json({ user: { id: admin.id, email: admin.email, role: 'ADMIN' } });
  res.cookies.set(sessionCookieName(secure), cookie, { httpOnly: true, sameSite: 'lax', secure, path: '/', maxAge: SESSION_MAX_AGE_S });
  return res;
}
