// Sign-in back-off, kept in PostgreSQL so every web process counts the same failures. There is no
// fixed lockout: after an allowance of free attempts each failure doubles the wait before the next
// attempt, up to a ceiling, and a quiet hour (or twice the ceiling, if longer) forgets them.
// Three counters, each with its own allowance:
//   - an address (any e-mail): one client spraying many accounts;
//   - an e-mail at an address: one client guessing one account. This is the e-mail's limit that a
//     user meets, and only the address that failed waits, so nobody can lock someone else out;
//   - an e-mail from addresses it has never signed in from: many clients guessing one account. An
//     address the account signed in from before is not held back by it.
// Attempts are counted when they are admitted, before the password is checked, so parallel requests
// cannot all slip in under the allowance; a success gives its attempt back.
import type { Db } from '@/server/db';

export type SignInPolicy = {
  /** Attempts per e-mail and address before any wait; an address gets four times as many, an e-mail from new addresses ten times. */
  freeAttempts: number;
  /** The wait after the free attempts, doubled by each further failure. */
  firstDelaySeconds: number;
  maxDelaySeconds: number;
};

export const DEFAULT_SIGN_IN_POLICY: SignInPolicy = { freeAttempts: 5, firstDelaySeconds: 1, maxDelaySeconds: 900 };

const QUIET_HOUR_MS = 3600_000;
const KNOWN_ADDRESS_MS = 90 * 24 * 3600_000;
const SWEEP_EVERY_MS = 10 * 60_000;

type Counter = { key: string; free: number };

/** What an admitted attempt counted, to give back if it succeeds. */
export type SignInAttempt = { email: string; address: string; counted: string[] };
export type SignInAdmission = { admitted: true; attempt: SignInAttempt } | { admitted: false; waitSeconds: number };

const addressKey = (address: string) => `address:${address}`;
const pairKey = (email: string, address: string) => `pair:${address} ${email}`;
const accountKey = (email: string) => `account:${email}`;

/** How long without an admitted attempt before a counter starts again from nothing. */
const forgetAfterMs = (policy: SignInPolicy) => Math.max(QUIET_HOUR_MS, 2000 * policy.maxDelaySeconds);

let lastSweep = 0;

/** Counts one attempt for `email` from `address`, or says how long to wait when any counter is still waiting. */
export async function admitSignInAttempt({
  db,
  email,
  address,
  policy = DEFAULT_SIGN_IN_POLICY,
  now = new Date(),
}: {
  db: Db;
  email: string;
  address: string;
  policy?: SignInPolicy;
  now?: Date;
}): Promise<SignInAdmission> {
  if (now.getTime() - lastSweep > SWEEP_EVERY_MS) {
    lastSweep = now.getTime();
    await sweepSignInState({ db, policy, now });
  }
  const known = await db.signInAddress.findUnique({ where: { email_address: { email, address } }, select: { lastSeenAt: true } });
  const counters: Counter[] = [
    { key: addressKey(address), free: 4 * policy.freeAttempts },
    { key: pairKey(email, address), free: policy.freeAttempts },
  ];
  if (!known || now.getTime() - known.lastSeenAt.getTime() > KNOWN_ADDRESS_MS) counters.push({ key: accountKey(email), free: 10 * policy.freeAttempts });
  // One order for inserts and row locks, so attempts sharing counters never deadlock.
  counters.sort((x, y) => (x.key < y.key ? -1 : 1));
  const keys = counters.map((c) => c.key);
  const frees = counters.map((c) => c.free);
  await db.$executeRaw`INSERT INTO "SignInThrottle" ("key", "blockedUntil", "updatedAt") SELECT unnest(${keys}::text[]), 'epoch', ${now} ON CONFLICT DO NOTHING`;
  // One statement locks the counters, checks that none is waiting and counts the attempt on all of
  // them, so concurrent attempts (on any web process) are admitted one at a time.
  const [result] = await db.$queryRaw<{ until: Date; updated: bigint }[]>`
    WITH input AS (SELECT * FROM unnest(${keys}::text[], ${frees}::int[]) AS i("key", "free")),
    locked AS (SELECT "key", "failures", "blockedUntil", "updatedAt" FROM "SignInThrottle" WHERE "key" = ANY(${keys}::text[]) ORDER BY "key" FOR UPDATE),
    gate AS (SELECT MAX("blockedUntil") AS "until" FROM locked),
    counted AS (
      SELECT l."key", i."free", CASE WHEN l."updatedAt" < ${new Date(now.getTime() - forgetAfterMs(policy))} THEN 1 ELSE l."failures" + 1 END AS "failures"
      FROM locked l JOIN input i ON i."key" = l."key"
    ),
    updated AS (
      UPDATE "SignInThrottle" t SET
        "failures" = c."failures",
        "blockedUntil" = ${now}::timestamp + make_interval(secs => CASE WHEN c."failures" < c."free" THEN 0
          ELSE LEAST(${policy.maxDelaySeconds}::float8, ${policy.firstDelaySeconds}::float8 * power(2, LEAST(c."failures" - c."free", 40))) END),
        "updatedAt" = ${now}
      FROM counted c, gate g
      WHERE t."key" = c."key" AND g."until" <= ${now}
      RETURNING t."key"
    )
    SELECT (SELECT "until" FROM gate) AS "until", (SELECT count(*) FROM updated) AS "updated"`;
  if (result!.updated > 0n) return { admitted: true, attempt: { email, address, counted: keys } };
  return { admitted: false, waitSeconds: Math.max(1, Math.ceil((result!.until.getTime() - now.getTime()) / 1000)) };
}

/**
 * The password was right: the e-mail's counter at this address starts again, the other counters get
 * this attempt back (a success must not wipe failures others caused), and the address becomes one
 * the account is known to sign in from.
 */
export async function recordSignInSuccess({ db, attempt, now = new Date() }: { db: Db; attempt: SignInAttempt; now?: Date }): Promise<void> {
  const pair = pairKey(attempt.email, attempt.address);
  const refunded = attempt.counted.filter((key) => key !== pair);
  await db.$transaction([
    db.signInThrottle.deleteMany({ where: { key: pair } }),
    db.$executeRaw`UPDATE "SignInThrottle" SET "failures" = GREATEST("failures" - 1, 0) WHERE "key" = ANY(${refunded})`,
    db.signInAddress.upsert({
      where: { email_address: { email: attempt.email, address: attempt.address } },
      create: { email: attempt.email, address: attempt.address, lastSeenAt: now },
      update: { lastSeenAt: now },
    }),
  ]);
}

/** Drops counters that would start again anyway and addresses unused for 90 days. */
export async function sweepSignInState({ db, policy = DEFAULT_SIGN_IN_POLICY, now = new Date() }: { db: Db; policy?: SignInPolicy; now?: Date }): Promise<void> {
  await db.signInThrottle.deleteMany({ where: { updatedAt: { lt: new Date(now.getTime() - forgetAfterMs(policy)) }, blockedUntil: { lt: now } } });
  await db.signInAddress.deleteMany({ where: { lastSeenAt: { lt: new Date(now.getTime() - KNOWN_ADDRESS_MS) } } });
}
