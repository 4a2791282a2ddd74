// The price book: credit packs and per-token prices by base-model size class. These are the
// defaults in code. A platform administrator's edited copy is stored in the database and read
// through the billing service, which falls back to these. Browser-safe: the pricing page, the
// calculator and the docs read the same shape.
import { z } from 'zod';

/** Size classes by parameter count of the base model. Upper bounds are inclusive. */
export const SIZE_CLASSES = [
  { id: 'tiny', maxParameters: 1e9 },
  { id: 'small', maxParameters: 4e9 },
  { id: 'medium', maxParameters: 15e9 },
  { id: 'large', maxParameters: 40e9 },
  { id: 'xlarge', maxParameters: Number.POSITIVE_INFINITY },
] as const;
export type SizeClass = (typeof SIZE_CLASSES)[number]['id'];
export const SIZE_CLASS_IDS = SIZE_CLASSES.map((c) => c.id) as [SizeClass, ...SizeClass[]];

/** The size class of a base model with this many parameters (unknown counts price as "small"). */
export function sizeClassOf(parameters: number | bigint | null | undefined): SizeClass {
  if (parameters === null || parameters === undefined) return 'small';
  const n = Number(parameters);
  if (!Number.isFinite(n) || n <= 0) return 'small';
  return SIZE_CLASSES.find((c) => n <= c.maxParameters)!.id;
}

const ZCurrency = z
  .string()
  .regex(/^[a-z]{3}$/, 'an ISO 4217 code in lower case, as Stripe writes it');

export const ZCreditPack = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,39}$/),
  /** Credits the pack adds, before any bonus. */
  credits: z.number().int().positive(),
  /** Bonus credits added on top, 0 when none. */
  bonusCredits: z.number().int().min(0).default(0),
  /** The price in the smallest currency unit (cents for usd), as Stripe takes it. */
  amount: z.number().int().positive(),
  currency: ZCurrency,
});
export type CreditPack = z.infer<typeof ZCreditPack>;

const ZPerMillion = z.number().min(0);
const ZInferencePrice = z.object({ prompt: ZPerMillion, completion: ZPerMillion });

export const ZPriceBook = z.object({
  currency: ZCurrency,
  /** What one credit is worth, in the smallest currency unit (1 = one cent per credit for usd). */
  creditValue: z.number().positive(),
  packs: z.array(ZCreditPack).min(1),
  /** Credits per 1M trained tokens (tokens x epochs), by size class. */
  training: z.record(z.enum(SIZE_CLASS_IDS), ZPerMillion),
  /** Credits per 1M prompt and per 1M completion tokens, by size class. */
  inference: z.record(z.enum(SIZE_CLASS_IDS), ZInferencePrice),
  /** Credits per hour a deployment is held warm, by size class; null when deployments are free. */
  deploymentHour: z.record(z.enum(SIZE_CLASS_IDS), ZPerMillion).nullable(),
});
export type PriceBook = z.infer<typeof ZPriceBook>;

export const DEFAULT_PRICE_BOOK: PriceBook = {
  currency: 'usd',
  creditValue: 1,
  packs: [
    { id: 'starter', credits: 1_000, bonusCredits: 0, amount: 1_000, currency: 'usd' },
    { id: 'builder', credits: 5_000, bonusCredits: 250, amount: 5_000, currency: 'usd' },
    { id: 'scale', credits: 25_000, bonusCredits: 2_500, amount: 25_000, currency: 'usd' },
  ],
  training: { tiny: 40, small: 100, medium: 300, large: 800, xlarge: 2_000 },
  inference: {
    tiny: { prompt: 2, completion: 4 },
    small: { prompt: 10, completion: 20 },
    medium: { prompt: 20, completion: 60 },
    large: { prompt: 60, completion: 180 },
    xlarge: { prompt: 90, completion: 270 },
  },
  deploymentHour: null,
};

/** What a model row contributes to its price: its size and any per-model override (credits per 1M tokens). */
export type PricedModel = {
  parameters: number | bigint | null | undefined;
  pricePerMillionTokens?: { toString(): string } | number | string | null;
  inferencePricePerMillionTokens?: { toString(): string } | number | string | null;
};

/** Credits per 1M trained tokens for this model: its override, else the book's price for its size class. */
export function trainingPricePerMillion(book: PriceBook, model: PricedModel): number {
  const override = model.pricePerMillionTokens;
  if (override !== null && override !== undefined) return Number(override.toString());
  return book.training[sizeClassOf(model.parameters)] ?? 0;
}

/** Credits per 1M prompt and completion tokens served by this model (an override prices both alike). */
export function inferencePricePerMillion(book: PriceBook, model: PricedModel): { prompt: number; completion: number } {
  const override = model.inferencePricePerMillionTokens;
  if (override !== null && override !== undefined) {
    const price = Number(override.toString());
    return { prompt: price, completion: price };
  }
  return book.inference[sizeClassOf(model.parameters)] ?? { prompt: 0, completion: 0 };
}

/** The pack with this id, or undefined. */
export function findPack(book: PriceBook, id: string): CreditPack | undefined {
  return book.packs.find((p) => p.id === id);
}

/** Credits a pack adds, bonus included. */
export function packCredits(pack: CreditPack): number {
  return pack.credits + (pack.bonusCredits ?? 0);
}
