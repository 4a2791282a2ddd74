import { describe, expect, it } from 'vitest';
import { getDb } from '@/server/db';
import { assertHasCredits } from '@/server/services/credits/ledger';
import { grantCredits } from '@/server/services/credits/credits';
import { callerFor, createTestKey, createTestUser, joinOrganization } from '@/tests/helpers/factories';

describe('billing router', () => {
  it('says without Stripe that the operator grants credits, and whom to ask', async () => {
    const before = { key: process.env.STRIPE_SECRET_KEY, contact: process.env.LATHE_OPERATOR_CONTACT };
    delete process.env.STRIPE_SECRET_KEY;
    process.env.LATHE_OPERATOR_CONTACT = 'billing@example.test';
    try {
      const u = await createTestUser();
      const summary = await callerFor(u).billing.summary();
      expect(summary).toMatchObject({ billingEnabled: false, operatorContact: 'billing@example.test', balance: '0', role: 'OWNER' });
      await expect(callerFor(u).billing.checkout({ pack: 'starter' })).rejects.toThrow(/granted by the operator of this installation \(billing@example.test\)/);
    } finally {
      if (before.key) process.env.STRIPE_SECRET_KEY = before.key;
      if (before.contact === undefined) delete process.env.LATHE_OPERATOR_CONTACT;
      else process.env.LATHE_OPERATOR_CONTACT = before.contact;
    }
  });

  it('lets owners alone set caps, and only on their own keys', async () => {
    const owner = await createTestUser();
    const member = await createTestUser();
    await joinOrganization(owner, member, 'MEMBER');
    const other = await createTestUser();
    await createTestKey(other);
    const otherKey = await getDb().apiKey.findFirstOrThrow({ where: { organizationId: other.organization.id } });
    await expect(callerFor(owner).billing.setKeySpendCap({ apiKeyId: otherKey.id, cap: 5 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await getDb().apiKey.findUniqueOrThrow({ where: { id: otherKey.id } })).monthlySpendCap).toBeNull();
    const asMember = callerFor(member, { requestedProjectId: (await getDb().project.findFirstOrThrow({ where: { organizationId: owner.organization.id } })).id });
    await expect(asMember.billing.setSpendCap({ cap: 10 })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await callerFor(owner).billing.setSpendCap({ cap: 250 });
    expect((await callerFor(owner).billing.summary()).monthlySpendCap).toBe('250');
    await expect(callerFor(owner).billing.setSpendCap({ cap: -1 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('keeps the admin billing procedures to platform administrators, who grant with a reason and suspend', async () => {
    const u = await createTestUser();
    const admin = await createTestUser({ admin: true });
    await expect(callerFor(u).admin.billing.dashboard()).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(callerFor(u).admin.billing.grant({ organizationId: u.organization.id, amount: 5, reason: 'for myself' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(callerFor(admin).admin.billing.grant({ organizationId: u.organization.id, amount: 5, reason: '' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await callerFor(admin).admin.billing.grant({ organizationId: u.organization.id, amount: 30, reason: 'conference credits' });
    await callerFor(admin).admin.billing.adjust({ organizationId: u.organization.id, amount: -5, reason: 'correction' });
    expect((await callerFor(u).billing.balance()).balance).toBe('25');
    const dashboard = await callerFor(admin).admin.billing.dashboard();
    expect(dashboard.grantsAndAdjustments.some((g) => g.organizationId === u.organization.id && g.reason === 'conference credits')).toBe(true);
    const found = await callerFor(admin).admin.billing.search({ query: u.email });
    expect(found.users.map((x) => x.id)).toContain(u.user.id);

    await callerFor(admin).admin.billing.setSuspended({ organizationId: u.organization.id, suspended: true, reason: 'abuse report' });
    await expect(assertHasCredits({ db: getDb(), organizationId: u.organization.id })).rejects.toThrow(/suspended: abuse report/);
    await callerFor(admin).admin.billing.setSuspended({ organizationId: u.organization.id, suspended: false, reason: 'resolved' });
    await grantCredits({ db: getDb(), organizationId: u.organization.id, amount: 1, actor: {} });
    await expect(assertHasCredits({ db: getDb(), organizationId: u.organization.id })).resolves.toBeUndefined();
  });
});
