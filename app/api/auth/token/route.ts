// POST {"token": ADMIN_TOKEN} → a session cookie for the platform administrator, for browser
// tests and operations tools. Off unless ADMIN_TOKEN is set.
import { timingSafeEqual } from 'node:crypto';
import { NextResponse } from 'next/server';
import { z } from 'zod';
import { getDb } from '@/server/db';
import { env, publicUrl } from '@/server/env';
import { sessionCookieHeader } from '@/server/auth/session';
import { ensureAdminUser } from '@/server/services/users/ensure-admin-user';
import { LatheError } from '@/server/services/errors';
import { describeError } from '@/lib/universal/errors';
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
  let admin;
  try {
    admin = await ensureAdminUser({ db: getDb() });
  } catch (error) {
    if (!(error instanceof LatheError)) throw error;
    return NextResponse.json({ error: error.message, code: error.details.reason ?? null }, { status: describeError(error.code, error.details.reason).status });
  }
  const secure = publicUrl().startsWith('https://');
  const cookie = await sessionCookieHeader({ userId: admin.id, email: admin.email, role: 'ADMIN', name: admin.name }, admin.sessionVersion, { secret: env.AUTH_SECRET, secure });
  const res = NextResponse.json({ user: { id: admin.id, email: admin.email, role: 'ADMIN' } });
  res.headers.append('set-cookie', cookie);
  return res;
}
