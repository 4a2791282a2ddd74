// The platform's Stripe webhook route (tests/kit/stripe-webhook-endpoint.ts) in a process of its
// own, for tests that kill it without warning (SIGKILL: no shutdown, no rollback from our side).
// Prints its URL as one line once it listens; the database and STRIPE_WEBHOOK_SECRET come from the
// environment it inherits.
//   node --import tsx tests/kit/stripe-webhook-process.ts
import { startWebhookEndpoint } from '@/tests/kit/stripe-webhook-endpoint';

const endpoint = await startWebhookEndpoint();
process.stdout.write(`${endpoint.url}\n`);
