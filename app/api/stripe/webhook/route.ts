// Stripe's webhook endpoint. The body is read raw, since the signature covers its exact bytes.
import { getDb } from '@/server/db';
import { handleStripeWebhook } from '@/server/services/billing/handle-stripe-event';

export const dynamic = 'force-dynamic';

const MAX_BYTES = 1024 * 1024;

export async function POST(request: Request) {
  const length = Number(request.headers.get('content-length') ?? 0);
  if (length > MAX_BYTES) return Response.json({ received: false, error: 'The body is larger than a Stripe event can be.' }, { status: 413 });
  const rawBody = await request.text();
  if (rawBody.length > MAX_BYTES) return Response.json({ received: false, error: 'The body is larger than a Stripe event can be.' }, { status: 413 });
  const answer = await handleStripeWebhook({ db: getDb(), rawBody, signature: request.headers.get('stripe-signature'), secret: process.env.STRIPE_WEBHOOK_SECRET });
  return Response.json(answer.body, { status: answer.status });
}
