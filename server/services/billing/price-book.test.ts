import { afterAll, describe, expect, it } from 'vitest';
import { getDb } from '@/server/db';
import { DEFAULT_PRICE_BOOK, inferencePricePerMillion, sizeClassOf, trainingPricePerMillion, type PriceBook } from '@/lib/universal/price-book';
import { forgetPriceBook, getPriceBook, setPriceBook } from '@/server/services/billing/price-book';
import { grantCredits, getBalance } from '@/server/services/credits/credits';
import { reserveForJob, settleJob } from '@/server/services/credits/ledger';
import { createTestUser } from '@/tests/helpers/factories';

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
