// What a session cookie is checked against on every request: the user's row, for its session
// version (raised when the password, the role or the account changes) and its current role. Read
// at most once per CHECK_INTERVAL_MS per user in each process, so a busy browser costs no query per
// request; a change made in this process is seen at once, one made elsewhere within the interval.
import type { Db } from '@/server/db';

export const CHECK_INTERVAL_MS = 5_000;
const MAX_ENTRIES = 50_000;

export type SessionState = { sessionVersion: number; email: string; name: string | null; role: 'USER' | 'ADMIN' };

const remembered = new Map<string, { state: SessionState | null; until: number }>();

/** The user's session state, or null when the user no longer exists. */
export async function sessionState(db: Db, userId: string, now = Date.now()): Promise<SessionState | null> {
  const hit = remembered.get(userId);
  if (hit && hit.until > now) return hit.state;
  const state = await db.user.findUnique({ where: { id: userId }, select: { sessionVersion: true, email: true, name: true, role: true } });
  if (remembered.size >= MAX_ENTRIES) {
    for (const [id, entry] of remembered) if (entry.until <= now) remembered.delete(id);
  }
  remembered.set(userId, { state, until: now + CHECK_INTERVAL_MS });
  return state;
}

type RawTx = { $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T> };

/**
 * Ends every session issued to the user so far, inside the caller's transaction, and returns the
 * version a new session must carry. Call forgetSessionState once that transaction has committed:
 * a request in between may have remembered the old version.
 */
export async function endSessions(tx: RawTx, userId: string): Promise<number> {
  const rows = await tx.$queryRawUnsafe<{ sessionVersion: number }[]>(
    'UPDATE "User" SET "sessionVersion" = "sessionVersion" + 1 WHERE id = $1 RETURNING "sessionVersion"',
    userId,
  );
  remembered.delete(userId);
  return rows[0]?.sessionVersion ?? 0;
}

export function forgetSessionState(userId: string) {
  remembered.delete(userId);
}
