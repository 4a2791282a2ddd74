import { DEFAULT_PRICE_BOOK, type PriceBook } from '@/lib/universal/price-book';

/**
 * The price book the public pricing page shows. Today the defaults in code; when the billing
 * service stores an administrator's edited copy, return that here (the page is prerendered, so
 * revalidate it when the copy changes).
 */
export async function readPublicPriceBook(): Promise<PriceBook> {
  return DEFAULT_PRICE_BOOK;
}

/** Digits after the decimal point of a currency's smallest unit (2 for usd and eur, 0 for jpy). */
export function minorUnitDigits(currency: string): number {
  return new Intl.NumberFormat('en', { style: 'currency', currency: currency.toUpperCase() }).resolvedOptions().maximumFractionDigits ?? 2;
}

/** Credits as money: credits x creditValue smallest units. */
export function creditsToMoney(credits: number, book: Pick<PriceBook, 'creditValue' | 'currency'>): number {
  return (credits * book.creditValue) / 10 ** minorUnitDigits(book.currency);
}
