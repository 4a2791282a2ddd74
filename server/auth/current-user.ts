import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { readSession, type SessionUser } from '@/server/auth/session';
import { env } from '@/server/env';

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
