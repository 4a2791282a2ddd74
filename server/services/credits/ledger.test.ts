import { describe, expect, it } from 'vitest';
import { getDb } from '@/server/db';
import { createTestUser } from '@/tests/helpers/factories';
import { getBalance, grantCredits } from '@/server/services/credits/credits';
import { chargeUsage, reserveForJob, settleJob } from '@/server/services/credits/ledger';

async function fundedOrg(amount: number) {
  const u = await createTestUser();
  await grantCredits({ db: getDb(), organizationId: u.organization.id, amount, actor: {} });
  return u.organization.id;
}

describe('credit ledger', () => {
  it('reserves, then settles to the actual cost and releases the rest', async () => {
    const org = await fundedOrg(100);
    await reserveForJob({ db: getDb(), organizationId: org, jobId: 'job-a', amount: 30, actor: {} });
    expect(await getBalance({ db: getDb(), organizationId: org })).toBe('70');
    await settleJob({ db: getDb(), organizationId: org, jobId: 'job-a', actualCost: 12.5 });
    expect(await getBalance({ db: getDb(), organizationId: org })).toBe('87.5');
  });

  it('never settles twice, even when retried concurrently', async () => {
    const org = await fundedOrg(50);
    await reserveForJob({ db: getDb(), organizationId: org, jobId: 'job-b', amount: 20, actor: {} });
    await Promise.all(Array.from({ length: 5 }, () => settleJob({ db: getDb(), organizationId: org, jobId: 'job-b', actualCost: 5 })));
    expect(await getBalance({ db: getDb(), organizationId: org })).toBe('45');
    expect(await getDb().creditLedgerEntry.count({ where: { organizationId: org, kind: 'SETTLEMENT' } })).toBe(1);
  });

  it('refuses a reservation the balance cannot cover and writes nothing', async () => {
    const org = await fundedOrg(10);
    await expect(reserveForJob({ db: getDb(), organizationId: org, jobId: 'job-c', amount: 10.01, actor: {} })).rejects.toThrow(/Not enough credits/);
    expect(await getBalance({ db: getDb(), organizationId: org })).toBe('10');
  });

  it('cannot be overdrawn by concurrent reservations', async () => {
    const org = await fundedOrg(100);
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => reserveForJob({ db: getDb(), organizationId: org, jobId: `job-d-${i}`, amount: 30, actor: {} })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    expect(await getBalance({ db: getDb(), organizationId: org })).toBe('10');
  });

  it('charges usage once per idempotency key', async () => {
    const org = await fundedOrg(1);
    await chargeUsage({ db: getDb(), organizationId: org, amount: 0.25, idempotencyKey: 'req-1', memo: 'chat' });
    await chargeUsage({ db: getDb(), organizationId: org, amount: 0.25, idempotencyKey: 'req-1', memo: 'chat' });
    expect(await getBalance({ db: getDb(), organizationId: org })).toBe('0.75');
  });
});
