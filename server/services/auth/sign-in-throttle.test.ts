import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { getDb } from '@/server/db';
import { admitSignInAttempt, recordSignInSuccess, type SignInPolicy } from './sign-in-throttle';

const policy: SignInPolicy = { freeAttempts: 3, firstDelaySeconds: 1, maxDelaySeconds: 60 };
const email = () => `throttle-${randomBytes(4).toString('hex')}@example.test`;
const address = () => `10.${[1, 2, 3].map(() => randomBytes(1)[0]).join('.')}`;
const at = (start: number, seconds: number) => new Date(start + seconds * 1000);

async function attempt(e: string, a: string, now: Date) {
  return admitSignInAttempt({ db: getDb(), email: e, address: a, policy, now });
}

describe('sign-in back-off', () => {
  it('admits the free attempts, then doubles the wait with each failure up to the ceiling', async () => {
    const [e, a, start] = [email(), address(), Date.now()];
    let t = 0;
    for (let i = 0; i < policy.freeAttempts; i++) expect((await attempt(e, a, at(start, t))).admitted).toBe(true);
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) {
      const refused = await attempt(e, a, at(start, t));
      expect(refused.admitted).toBe(false);
      const wait = (refused as { waitSeconds: number }).waitSeconds;
      waits.push(wait);
      // One millisecond early is still too early; at the second it is admitted.
      expect((await attempt(e, a, at(start, t + wait - 0.001))).admitted).toBe(false);
      t += wait;
      expect((await attempt(e, a, at(start, t))).admitted).toBe(true);
    }
    expect(waits).toEqual([1, 2, 4, 8, 16, 32, 60, 60]);
  });

  it('holds back only the address that failed, not the same e-mail from another', async () => {
    const [e, attacker, user, now] = [email(), address(), address(), new Date()];
    for (let i = 0; i < policy.freeAttempts; i++) await attempt(e, attacker, now);
    expect((await attempt(e, attacker, now)).admitted).toBe(false);
    expect((await attempt(e, user, now)).admitted).toBe(true);
  });

  it('admits parallel attempts no further than the allowance', async () => {
    const [e, a, now] = [email(), address(), new Date()];
    const results = await Promise.all(Array.from({ length: 12 }, () => attempt(e, a, now)));
    expect(results.filter((r) => r.admitted)).toHaveLength(policy.freeAttempts);
  });

  it('backs off an address that tries many e-mails after four times the allowance', async () => {
    const [a, now] = [address(), new Date()];
    for (let i = 0; i < 4 * policy.freeAttempts; i++) expect((await attempt(email(), a, now)).admitted).toBe(true);
    expect((await attempt(email(), a, now)).admitted).toBe(false);
  });

  it('backs off an e-mail guessed from many addresses, except at an address it signed in from before', async () => {
    const [e, home, now] = [email(), address(), new Date()];
    const signedIn = await attempt(e, home, now);
    if (!signedIn.admitted) throw new Error('the first attempt must be admitted');
    await recordSignInSuccess({ db: getDb(), attempt: signedIn.attempt, now });
    for (let i = 0; i < 10 * policy.freeAttempts; i++) expect((await attempt(e, address(), now)).admitted).toBe(true);
    expect(await attempt(e, address(), now)).toEqual({ admitted: false, waitSeconds: 1 });
    expect((await attempt(e, home, now)).admitted).toBe(true);
  });

  it('gives a successful attempt back, so a user who mistyped starts again while what others caused stays', async () => {
    const [e, a, start] = [email(), address(), Date.now()];
    for (let i = 0; i < policy.freeAttempts - 1; i++) await attempt(e, a, at(start, 0));
    const success = await attempt(e, a, at(start, 0));
    if (!success.admitted) throw new Error('still within the allowance');
    await recordSignInSuccess({ db: getDb(), attempt: success.attempt, now: at(start, 0) });
    for (let i = 0; i < policy.freeAttempts; i++) expect((await attempt(e, a, at(start, 1))).admitted).toBe(true);
    const failures = async (key: string) => (await getDb().signInThrottle.findUniqueOrThrow({ where: { key } })).failures;
    // The address keeps the two failures and counts the new attempts; the account kept its two and,
    // the address being known now, counts none of the new ones.
    expect(await failures(`address:${a}`)).toBe(policy.freeAttempts - 1 + policy.freeAttempts);
    expect(await failures(`account:${e}`)).toBe(policy.freeAttempts - 1);
  });

  it('forgets failures after a quiet hour', async () => {
    const [e, a, start] = [email(), address(), Date.now()];
    for (let i = 0; i < policy.freeAttempts; i++) await attempt(e, a, at(start, 0));
    expect((await attempt(e, a, at(start, 0))).admitted).toBe(false);
    for (let i = 0; i < policy.freeAttempts; i++) expect((await attempt(e, a, at(start, 3601 + i))).admitted).toBe(true);
  });
});
