import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { readSession, type SessionUser } from '@/server/auth/session';
import { env } from '@/server/env';
import { getDb } from '@/server/db';

/** The signed-in user in a server component, or null. */
export async function currentUser(): Promise<SessionUser | null> {
  const jar = await cookies();
  const header = jar.getAll().map((c) => `${c.name}=${encodeURIComponent(c.value)}`).join('; ');
  return readSession(header, env.AUTH_SECRET);
}

export async function requireUser(returnTo: string): Promise<SessionUser> {
  const user = await currentUser();
  if (!user) redirect(`/sign-in?callbackUrl=${encodeURIComponent(returnTo)}`);
  return user;
}

/** The signed-in user's stored language (null when unset or signed out). */
export async function currentUserLocale(): Promise<string | null> {
  const user = await currentUser();
  if (!user) return null;
  const row = await getDb().user.findUnique({ where: { id: user.userId }, select: { locale: true } });
  return row?.locale ?? null;
}
