import { findPack, type PriceBook } from '@/lib/universal/price-book';

/** An event Lathe will not act on (unknown organization or pack, an amount that does not match the pack): recorded, logged, answered 400. */
export class RefusedEvent extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RefusedEvent';
  }
}

/** The pack an event pays for, refused when it is unknown or the amount paid is not its price. */
export function checkedPack(book: PriceBook, packId: string | null | undefined, amount: number | null | undefined, currency: string | null | undefined) {
  const pack = packId ? findPack(book, packId) : undefined;
  if (!pack) throw new RefusedEvent(`unknown pack ${packId ?? '(none)'}`);
  if (amount !== pack.amount || currency?.toLowerCase() !== pack.currency) {
    throw new RefusedEvent(`amount ${amount ?? '?'} ${currency ?? '?'} does not match pack ${pack.id} (${pack.amount} ${pack.currency})`);
  }
  return pack;
}
