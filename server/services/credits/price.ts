// The one place a token count becomes credits: the estimate before a job, its settlement after,
// and metered inference all price tokens here, so a price book can later stand behind it.
import { Prisma } from '@/server/generated/prisma/client';

type Decimal = Prisma.Decimal;

/** A count of tokens: a number from the trainer or a request, a bigint from a database column. */
export type TokenCount = number | bigint;

/** Credits per million tokens, as a model row stores it (Decimal) or as a number. */
export type PricePerMillionTokens = Decimal | number | string;

/**
 * tokens x price / 1,000,000 in decimal arithmetic, so 1 token at 3 credits per million is
 * exactly 0.000003. Callers that need a number call `.toNumber()` on the result.
 */
export function creditsForTokens(tokens: TokenCount, pricePerMillionTokens: PricePerMillionTokens): Decimal {
  return new Prisma.Decimal(tokens.toString()).mul(new Prisma.Decimal(pricePerMillionTokens)).div(1_000_000);
}
