// The price book as this installation charges it: the copy a platform administrator stored, else
// the defaults in code (lib/universal/price-book.ts). The estimate, settlement, metered inference,
// checkout and the CLI all read it here. Each process keeps it a few seconds, so an edit reaches
// every web process, worker and runner within that time without a query per charge.
import type { Db, Tx } from '@/server/db';
import { DEFAULT_PRICE_BOOK, ZPriceBook, type PriceBook } from '@/lib/universal/price-book';
import { LatheError } from '@/server/services/errors';
import { recordAudit, type AuditActor } from '@/server/services/audit/record-audit';
import { logger } from '@/server/logger';

const CACHE_MS = 5_000;
let cached: { book: PriceBook; at: number } | null = null;

/** The stored price book, or the defaults when none is stored or the stored one no longer validates. */
export async function getPriceBook({ db }: { db: Pick<Db, 'priceBookSetting'> | Pick<Tx, 'priceBookSetting'> }): Promise<PriceBook> {
  if (cached && Date.now() - cached.at < CACHE_MS) return cached.book;
  const row = await db.priceBookSetting.findUnique({ where: { id: 1 } });
  let book = DEFAULT_PRICE_BOOK;
  if (row) {
    const parsed = ZPriceBook.safeParse(row.book);
    if (parsed.success) book = parsed.data;
    else logger.error({ issues: parsed.error.issues }, 'the stored price book does not validate; charging the defaults');
  }
  cached = { book, at: Date.now() };
  return book;
}

/** Forgets this process's copy (after an edit here, and in tests). */
export function forgetPriceBook() {
  cached = null;
}

export type SetPriceBookOptions = { db: Db; book: unknown; actor: AuditActor };

/** Stores an edited price book (platform administrators). Pack ids must be unique and share the book's currency. */
export async function setPriceBook({ db, book, actor }: SetPriceBookOptions): Promise<PriceBook> {
  const parsed = ZPriceBook.safeParse(book);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new LatheError('BAD_REQUEST', `The price book is not valid at ${issue.path.join('.') || 'its root'}: ${issue.message}.`, { param: issue.path.join('.') });
  }
  const value = parsed.data;
  const ids = new Set<string>();
  for (const pack of value.packs) {
    if (ids.has(pack.id)) throw new LatheError('BAD_REQUEST', `Two credit packs share the id "${pack.id}"; give each pack its own id.`, { param: 'packs' });
    if (pack.currency !== value.currency) throw new LatheError('BAD_REQUEST', `Pack "${pack.id}" is priced in ${pack.currency} but the price book is in ${value.currency}; use one currency.`, { param: 'packs' });
    ids.add(pack.id);
  }
  await db.$transaction(async (tx) => {
    await tx.priceBookSetting.upsert({ where: { id: 1 }, create: { id: 1, book: value, updatedById: actor.userId ?? null }, update: { book: value, updatedById: actor.userId ?? null } });
    await recordAudit(tx, { organizationId: null, actor, action: 'billing.price_book.update', targetType: 'PriceBook', targetId: '1', data: value });
  });
  forgetPriceBook();
  return value;
}
