import type { PriceBook } from '@/lib/universal/price-book';

/** Digits after the decimal point of a currency's smallest unit (2 for usd and eur, 0 for jpy). */
export function minorUnitDigits(currency: string): number {
  return new Intl.NumberFormat('en', { style: 'currency', currency: currency.toUpperCase() }).resolvedOptions().maximumFractionDigits ?? 2;
}

/** Credits as money: credits x creditValue smallest units. */
export function creditsToMoney(credits: number, book: Pick<PriceBook, 'creditValue' | 'currency'>): number {
  return (credits * book.creditValue) / 10 ** minorUnitDigits(book.currency);
}
