// The operator's billing commands, through the real `lathe` binary.
import { describe, expect, it } from 'vitest';
import { getDb } from '@/server/db';
import { getBalance } from '@/server/services/credits/credits';
import { getPriceBook } from '@/server/services/billing/price-book';
import { packCredits } from '@/lib/universal/price-book';
import { lastLine, runLathe } from '@/tests/helpers/cli';
import { createTestUser } from '@/tests/helpers/factories';

describe('lathe credits and lathe billing', () => {
  it('shows, grants and adjusts with a reason, and prints the balance as the last line or as JSON', async () => {
    const u = await createTestUser();
    const grant = await runLathe(['credits', 'grant', '--email', u.email, '--amount', '40.25', '--reason', 'welcome credits']);
    expect(grant.code, grant.stderr).toBe(0);
    const adjust = await runLathe(['credits', 'adjust', '--email', u.email, '--amount', '-50', '--reason', 'reversed a duplicate grant']);
    expect(adjust.code, adjust.stderr).toBe(0);
    const show = await runLathe(['credits', 'show', '--email', u.email]);
    expect(show.code).toBe(0);
    expect(lastLine(show.stdout)).toBe('-9.75');
    const json = JSON.parse(lastLine((await runLathe(['credits', 'show', '--email', u.email, '--json'])).stdout));
    expect(json).toEqual({ organizationId: u.organization.id, balance: -9.75 });
    expect(await getBalance({ db: getDb(), organizationId: u.organization.id })).toBe('-9.75');
    const audit = await getDb().auditLogEntry.findMany({ where: { organizationId: u.organization.id, action: { in: ['credits.grant', 'credits.adjust'] } }, orderBy: { id: 'asc' } });
    expect(audit.map((a) => (a.data as { reason: string }).reason)).toEqual(['welcome credits', 'reversed a duplicate grant']);

    const noReason = await runLathe(['credits', 'adjust', '--email', u.email, '--amount', '5']);
    expect(noReason.code).toBe(1);
    expect(noReason.stderr).toMatch(/--reason/);
    const zero = await runLathe(['credits', 'adjust', '--email', u.email, '--amount', '0', '--reason', 'nothing']);
    expect(zero.code).toBe(1);
    const nobody = await runLathe(['credits', 'show', '--email', 'nobody-here@example.test']);
    expect(nobody.code).toBe(1);
    expect(nobody.stderr).toMatch(/No user with e-mail/);
  });

  it('lists the packs in the smallest currency unit and reconciles, exiting 1 exactly when it lists differences', async () => {
    const packs = await runLathe(['billing', 'packs', '--json']);
    expect(packs.code, packs.stderr).toBe(0);
    const book = await getPriceBook({ db: getDb() });
    expect(JSON.parse(lastLine(packs.stdout))).toEqual(book.packs.map((p) => ({ id: p.id, credits: packCredits(p), amount: p.amount, currency: p.currency })));
    const reconcile = await runLathe(['billing', 'reconcile', '--json']);
    const result = JSON.parse(lastLine(reconcile.stdout)) as { payments: number; differences: unknown[] };
    expect(Array.isArray(result.differences)).toBe(true);
    expect(reconcile.code).toBe(result.differences.length === 0 ? 0 : 1);
  });
});
