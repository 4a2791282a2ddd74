// Stripe webhooks: the signature is checked on the raw body, then each event id is recorded and
// handled exactly once, in the transaction of its effects. A crash before commit leaves no row, so
// Stripe's retry handles it; a replay or a concurrent duplicate finds the row taken when it claims
// the id and rolls back, changing nothing.
// Types off the allow-list are recorded as ignored and answered 200, as Stripe expects.
import Stripe from 'stripe';
import type { Db, Tx } from '@/server/db';
import { isUniqueViolation } from '@/server/db/errors';
import { logger } from '@/server/logger';
import { webhookVerifier } from '@/server/services/billing/stripe-client';
import { checkoutSessionAsyncFailed, checkoutSessionAsyncSucceeded, checkoutSessionCompleted } from './events/checkout-session';
import { paymentIntentFailed, paymentIntentSucceeded } from './events/payment-intent';
import { chargeDisputeCreated, chargeRefunded } from './events/charge';
import { RefusedEvent } from './events/refused';
import { ZStripeEvent } from './events/schemas';
import type { EventOutcome } from './events/outcome';

type Handler = (tx: Tx, object: Record<string, unknown>) => Promise<EventOutcome>;

/** The allow-list: one handler per event type. */
export const STRIPE_EVENT_HANDLERS: Record<string, Handler> = {
  'checkout.session.completed': checkoutSessionCompleted,
  'checkout.session.async_payment_succeeded': checkoutSessionAsyncSucceeded,
  'checkout.session.async_payment_failed': checkoutSessionAsyncFailed,
  'payment_intent.succeeded': paymentIntentSucceeded,
  'payment_intent.payment_failed': paymentIntentFailed,
  'charge.refunded': chargeRefunded,
  'charge.dispute.created': chargeDisputeCreated,
};

/** Signatures older than this are stale (Stripe's own default). */
export const SIGNATURE_TOLERANCE_S = 300;

export type WebhookAnswer = { status: number; body: { received: boolean; outcome?: string; duplicate?: boolean; error?: string } };

/** Verifies and handles one delivery; the answer is what the route sends back. */
export async function handleStripeWebhook({ db, rawBody, signature, secret }: { db: Db; rawBody: string; signature: string | null; secret: string | undefined }): Promise<WebhookAnswer> {
  if (!secret) {
    logger.warn('a Stripe webhook arrived but STRIPE_WEBHOOK_SECRET is not set');
    return { status: 400, body: { received: false, error: 'Webhooks are not configured on this installation (STRIPE_WEBHOOK_SECRET is not set).' } };
  }
  if (!signature) {
    logger.warn('a Stripe webhook arrived without a Stripe-Signature header');
    return { status: 400, body: { received: false, error: 'The Stripe-Signature header is missing.' } };
  }
  let verified: unknown;
  try {
    verified = webhookVerifier().webhooks.constructEvent(rawBody, signature, secret, SIGNATURE_TOLERANCE_S);
  } catch (error) {
    const message = error instanceof Stripe.errors.StripeSignatureVerificationError ? error.message : 'The body is not a Stripe event.';
    logger.warn({ reason: message }, 'refused a Stripe webhook whose signature did not verify');
    return { status: 400, body: { received: false, error: `The signature did not verify: ${message}` } };
  }
  const parsed = ZStripeEvent.safeParse(verified);
  if (!parsed.success) {
    logger.warn({ issues: parsed.error.issues }, 'refused a signed Stripe webhook that is not an event');
    return { status: 400, body: { received: false, error: 'The body is not a Stripe event.' } };
  }
  return handleStripeEvent({ db, event: parsed.data });
}

type StripeEventInput = { id: string; type: string; data: { object: Record<string, unknown> } };

type EventRow = { id: string; type: string; outcome: 'PROCESSED' | 'IGNORED' | 'REFUSED'; organizationId?: string | null; detail?: string | null; payload: unknown };

/**
 * Records an event id with its outcome unless it is already recorded; false when it was. Raw SQL:
 * Prisma compiles a `createMany` anew on every call, and this runs on every delivery.
 */
async function claimEvent(db: Pick<Tx, '$executeRawUnsafe'>, row: EventRow): Promise<boolean> {
  const count = await db.$executeRawUnsafe(
    `INSERT INTO "StripeEvent" ("id","type","outcome","organizationId","detail","payload") VALUES ($1,$2,$3::"StripeEventOutcome",$4,$5,$6::jsonb) ON CONFLICT ("id") DO NOTHING`,
    row.id,
    row.type,
    row.outcome,
    row.organizationId ?? null,
    row.detail ?? null,
    JSON.stringify(row.payload),
  );
  return count > 0;
}

/** Rolls back the work of an event whose id was already handled. */
class DuplicateEvent extends Error {}

/** Attempts at an event whose transaction a concurrent one beat to a unique row (the same payment, say). */
const MAX_ATTEMPTS = 3;

async function previous(db: Db, id: string): Promise<WebhookAnswer> {
  const row = await db.stripeEvent.findUniqueOrThrow({ where: { id } });
  return row.outcome === 'REFUSED' ? { status: 400, body: { received: false, duplicate: true, outcome: 'refused', error: row.detail ?? 'refused' } } : { status: 200, body: { received: true, duplicate: true, outcome: row.outcome.toLowerCase() } };
}

/** Handles a verified event exactly once by its id. */
export async function handleStripeEvent({ db, event }: { db: Db; event: StripeEventInput }): Promise<WebhookAnswer> {
  const handler = Object.hasOwn(STRIPE_EVENT_HANDLERS, event.type) ? STRIPE_EVENT_HANDLERS[event.type] : undefined;
  if (!handler) {
    const claimed = await claimEvent(db, { id: event.id, type: event.type, outcome: 'IGNORED', detail: 'type not on the allow-list', payload: event });
    logger.info({ eventId: event.id, type: event.type }, 'ignored a Stripe event whose type is not on the allow-list');
    return { status: 200, body: { received: true, outcome: 'ignored', ...(claimed ? {} : { duplicate: true }) } };
  }
  for (let attempt = 1; ; attempt++) {
    try {
      const outcome = await db.$transaction(
        async (tx) => {
          const result = await handler(tx, event.data.object);
          // The id is claimed last, with its outcome, in the transaction of its effects: a replay or
          // a concurrent duplicate (which waits on the primary key, or on the payment's row) finds it
          // taken and rolls back whatever it did.
          if (!(await claimEvent(tx, { id: event.id, type: event.type, outcome: 'PROCESSED', organizationId: result.organizationId, detail: result.detail, payload: event }))) throw new DuplicateEvent();
          return result;
        },
        { timeout: 30_000, maxWait: 30_000 },
      );
      logger.info({ eventId: event.id, type: event.type, organizationId: outcome.organizationId, detail: outcome.detail }, 'handled a Stripe event');
      await outcome.after?.().catch((error: unknown) => logger.error({ err: error, eventId: event.id }, 'the follow-up of a Stripe event failed'));
      return { status: 200, body: { received: true, outcome: 'processed' } };
    } catch (error) {
      if (error instanceof DuplicateEvent) return previous(db, event.id);
      // A concurrent transaction committed a row this one also inserted (the same event's payment,
      // or another event of the same payment): run again on what it wrote.
      if (isUniqueViolation(error) && attempt < MAX_ATTEMPTS) continue;
      return refusedOrThrow(db, event, error);
    }
  }
}

/** A refused event is recorded as such and answered 400; anything else is thrown (a 500, which Stripe retries). */
async function refusedOrThrow(db: Db, event: StripeEventInput, error: unknown): Promise<WebhookAnswer> {
  if (error instanceof RefusedEvent || (error instanceof Error && error.name === 'ZodError')) {
    const detail = error instanceof RefusedEvent ? error.message : `the event's object is not in the shape expected: ${error.message.slice(0, 300)}`;
    if (!(await claimEvent(db, { id: event.id, type: event.type, outcome: 'REFUSED', detail, payload: event }))) return previous(db, event.id);
    logger.warn({ eventId: event.id, type: event.type, reason: detail }, 'refused a Stripe event: nothing credited');
    return { status: 400, body: { received: false, outcome: 'refused', error: detail } };
  }
  throw error;
}
