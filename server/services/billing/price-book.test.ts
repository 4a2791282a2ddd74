import { afterAll, describe, expect, it } from 'vitest';
import { getDb } from '@/server/db';
import { DEFAULT_PRICE_BOOK, inferencePricePerMillion, sizeClassOf, trainingPricePerMillion, type PriceBook } from '@/lib/universal/price-book';
import { forgetPriceBook, getPriceBook, setPriceBook } from '@/server/services/billing/price-book';
import { grantCredits, getBalance } from '@/server/services/credits/credits';
import { reserveForJob, settleJob } from '@/server/services/credits/ledger';
import { createTestUser } from '@/tests/helpers/factories';
import { chargeDeploymentHours, deploymentHourKey, hourOf } from '@/server/services/credits/charge-deployment-hours';
import { stopDeployments } from '@/server/services/serving/deployments';
import { statement, usageSeries } from '@/server/services/billing/usage-report';

// The stored book is one row for the whole installation: this file edits only the xlarge class and
// adds a pack, which no other test prices, and puts the defaults back afterwards.
afterAll(async () => {
  await getDb().priceBookSetting.deleteMany({});
  forgetPriceBook();
});

describe('price book', () => {
  it('prices a model by its size class unless the model carries its own price', () => {
    expect(trainingPricePerMillion(DEFAULT_PRICE_BOOK, { parameters: 135_000_000n })).toBe(DEFAULT_PRICE_BOOK.training.tiny);
    expect(trainingPricePerMillion(DEFAULT_PRICE_BOOK, { parameters: 7e9 })).toBe(DEFAULT_PRICE_BOOK.training.medium);
    expect(trainingPricePerMillion(DEFAULT_PRICE_BOOK, { parameters: 7e9, pricePerMillionTokens: '2.5' })).toBe(2.5);
    expect(inferencePricePerMillion(DEFAULT_PRICE_BOOK, { parameters: null })).toEqual(DEFAULT_PRICE_BOOK.inference.small);
    expect(inferencePricePerMillion(DEFAULT_PRICE_BOOK, { parameters: 1, inferencePricePerMillionTokens: 3 })).toEqual({ prompt: 3, completion: 3 });
    expect(sizeClassOf(70e9)).toBe('xlarge');
  });

  it('stores an edited book that every reader then charges, and refuses a broken one with a sentence', async () => {
    const admin = await createTestUser({ admin: true });
    const edited: PriceBook = {
      ...DEFAULT_PRICE_BOOK,
      training: { ...DEFAULT_PRICE_BOOK.training, xlarge: 3_333 },
      packs: [...DEFAULT_PRICE_BOOK.packs, { id: 'test-pack', credits: 7, bonusCredits: 1, amount: 700, currency: 'usd' }],
    };
    await setPriceBook({ db: getDb(), book: edited, actor: { userId: admin.user.id } });
    const book = await getPriceBook({ db: getDb() });
    expect(trainingPricePerMillion(book, { parameters: 100e9 })).toBe(3_333);
    expect(book.packs.map((p) => p.id)).toContain('test-pack');
    const audit = await getDb().auditLogEntry.findFirst({ where: { action: 'billing.price_book.update', actorUserId: admin.user.id } });
    expect(audit).not.toBeNull();

    await expect(setPriceBook({ db: getDb(), book: { ...edited, packs: [{ ...edited.packs[0]!, amount: 9.5 }] }, actor: {} })).rejects.toThrow(/packs\.0\.amount/);
    await expect(setPriceBook({ db: getDb(), book: { ...edited, packs: [edited.packs[0]!, edited.packs[0]!] }, actor: {} })).rejects.toThrow(/share the id/);
    await expect(setPriceBook({ db: getDb(), book: { ...edited, packs: [{ ...edited.packs[0]!, currency: 'eur' }] }, actor: {} })).rejects.toThrow(/one currency/);
    expect(trainingPricePerMillion(await getPriceBook({ db: getDb() }), { parameters: 100e9 })).toBe(3_333);
  });

  it('settles a job at the price it was reserved at, whatever the book says by then', async () => {
    const user = await createTestUser();
    const db = getDb();
    await grantCredits({ db, organizationId: user.organization.id, amount: 100, actor: {} });
    await reserveForJob({ db, organizationId: user.organization.id, jobId: `pb-${user.organization.id}`, amount: 20, unitPrice: 10, actor: {} });
    // 1M tokens at the reserved 10 per 1M, not at the 999 the caller now passes as the current price.
    await settleJob({ db, organizationId: user.organization.id, jobId: `pb-${user.organization.id}`, actualCost: { tokens: 1_000_000, pricePerMillion: 999 } });
    expect(await getBalance({ db, organizationId: user.organization.id })).toBe('90');
  });
});

describe('deployment hours', () => {
  // Only xlarge models pay, so deployments that other test files hold ready are never charged.
  const hourly: PriceBook = { ...DEFAULT_PRICE_BOOK, deploymentHour: { tiny: 0, small: 0, medium: 0, large: 0, xlarge: 12 } };

  async function readyDeployment(organizationId: string | null, parameters: number) {
    const db = getDb();
    const model = await db.baseModel.create({ data: { organizationId, name: `hourly-${Math.random().toString(36).slice(2, 8)}`, source: 'GGUF', status: 'READY', parameters: BigInt(parameters) } });
    const deployment = await db.deployment.create({ data: { baseModelId: model.id, status: 'READY', endpoint: 'http://127.0.0.1:1' } });
    return { model, deployment };
  }

  it('charges a ready deployment of an organization model once per clock hour, audited and on the usage page', async () => {
    const db = getDb();
    const admin = await createTestUser({ admin: true });
    await setPriceBook({ db, book: hourly, actor: { userId: admin.user.id } });
    const user = await createTestUser();
    const organizationId = user.organization.id;
    await grantCredits({ db, organizationId, amount: 100, actor: {} });
    const { model, deployment } = await readyDeployment(organizationId, 70e9);
    const cheap = await readyDeployment(organizationId, 1e8);
    const platform = await readyDeployment(null, 70e9);

    await chargeDeploymentHours({ db, at: new Date('2026-03-01T10:05:00Z') });
    await chargeDeploymentHours({ db, at: new Date('2026-03-01T10:59:59Z') });
    expect(await getBalance({ db, organizationId })).toBe('88');
    await chargeDeploymentHours({ db, at: new Date('2026-03-01T11:00:00Z') });
    expect(await getBalance({ db, organizationId })).toBe('76');
    // Several workers sampling the same hour at once charge it once.
    await Promise.all([0, 1, 2, 3].map(() => chargeDeploymentHours({ db, at: new Date('2026-03-01T12:30:00Z') })));
    expect(await getBalance({ db, organizationId })).toBe('64');

    const entries = await db.creditLedgerEntry.findMany({ where: { organizationId, deploymentId: { not: null } }, orderBy: { createdAt: 'asc' } });
    expect(entries.map((e) => [e.kind, e.amount.toString(), e.deploymentId, e.idempotencyKey])).toEqual([
      ['USAGE', '-12', deployment.id, `deployment-hour:${deployment.id}:2026-03-01T10`],
      ['USAGE', '-12', deployment.id, `deployment-hour:${deployment.id}:2026-03-01T11`],
      ['USAGE', '-12', deployment.id, `deployment-hour:${deployment.id}:2026-03-01T12`],
    ]);
    expect(entries[0]!.memo).toBe(`deployment of ${model.name}, hour from 2026-03-01 10:00 UTC`);
    const audits = await db.auditLogEntry.findMany({ where: { organizationId, action: 'credits.deployment_hour' }, orderBy: { id: 'asc' } });
    expect(audits.map((a) => a.targetId)).toEqual(entries.map((e) => e.id));
    expect(audits[0]!.data).toMatchObject({ amount: '-12', deploymentId: deployment.id, hour: '2026-03-01T10:00:00.000Z', sizeClass: 'xlarge', pricePerHour: 12 });
    // A model of a class priced at 0, and a platform model, cost nothing.
    expect(await db.creditLedgerEntry.count({ where: { deploymentId: { in: [cheap.deployment.id, platform.deployment.id] } } })).toBe(0);

    // Undeploying charges the hour it stops in; a stopped deployment is charged no more.
    await stopDeployments({ db, baseModelId: model.id, audit: { organizationId, actor: { userId: user.user.id } } });
    expect(await getBalance({ db, organizationId })).toBe('52');
    expect(await db.creditLedgerEntry.count({ where: { idempotencyKey: deploymentHourKey(deployment.id, hourOf(new Date())) } })).toBe(1);
    await chargeDeploymentHours({ db, at: new Date(Date.now() + 3_600_000) });
    expect(await getBalance({ db, organizationId })).toBe('52');

    // The usage page's series and statement show them.
    const today = new Date(new Date().toISOString().slice(0, 10));
    const series = await usageSeries({ db, organizationId, from: today, to: today });
    expect(series).toContainEqual(expect.objectContaining({ kind: 'deployment', model: model.name, credits: 48, tokens: 0 }));
    const { lines } = await statement({ db, organizationId, from: today, to: today });
    expect(lines.filter((l) => l.memo?.startsWith(`deployment of ${model.name}`)).map((l) => l.amount)).toEqual(['-12', '-12', '-12', '-12']);
    await db.deployment.updateMany({ where: { id: { in: [cheap.deployment.id, platform.deployment.id] } }, data: { status: 'STOPPED' } });
  });

  it('charges nothing while the price book has no deployment-hour price', async () => {
    const db = getDb();
    await setPriceBook({ db, book: { ...hourly, deploymentHour: null }, actor: {} });
    const user = await createTestUser();
    const { deployment } = await readyDeployment(user.organization.id, 70e9);
    expect(await chargeDeploymentHours({ db })).toEqual({ charged: 0, credits: '0' });
    expect(await db.creditLedgerEntry.count({ where: { deploymentId: deployment.id } })).toBe(0);
    await db.deployment.update({ where: { id: deployment.id }, data: { status: 'STOPPED' } });
  });
});
