// The fields Lathe reads from each Stripe event it handles, validated before use (Stripe sends
// many more; they pass through).
import { z } from 'zod';

const ZMetadata = z.record(z.string(), z.string()).nullish().transform((m) => m ?? {});
const ZId = z.union([z.string(), z.object({ id: z.string() }).transform((o) => o.id)]);

export const ZCheckoutSession = z.object({
  id: z.string(),
  mode: z.string().nullish(),
  payment_status: z.enum(['paid', 'unpaid', 'no_payment_required']),
  amount_total: z.number().int().nullish(),
  currency: z.string().nullish(),
  client_reference_id: z.string().nullish(),
  customer: ZId.nullish(),
  payment_intent: ZId.nullish(),
  metadata: ZMetadata,
});
export type TCheckoutSession = z.infer<typeof ZCheckoutSession>;

export const ZPaymentIntent = z.object({
  id: z.string(),
  amount: z.number().int(),
  currency: z.string(),
  customer: ZId.nullish(),
  status: z.string(),
  metadata: ZMetadata,
  last_payment_error: z.object({ message: z.string().nullish(), code: z.string().nullish(), decline_code: z.string().nullish() }).nullish(),
});
export type TPaymentIntent = z.infer<typeof ZPaymentIntent>;

export const ZCharge = z.object({
  id: z.string(),
  amount: z.number().int(),
  amount_refunded: z.number().int().min(0),
  currency: z.string(),
  payment_intent: ZId.nullish(),
  metadata: ZMetadata,
});

export const ZDispute = z.object({
  id: z.string(),
  amount: z.number().int(),
  currency: z.string(),
  charge: ZId.nullish(),
  payment_intent: ZId.nullish(),
  reason: z.string().nullish(),
});

export const ZStripeEvent = z.object({ id: z.string().min(1).max(255), type: z.string(), created: z.number().optional(), data: z.object({ object: z.record(z.string(), z.unknown()) }) });
export type TStripeEvent = z.infer<typeof ZStripeEvent>;
