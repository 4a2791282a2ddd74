// Stripe as this installation configures it. Billing is on when STRIPE_SECRET_KEY is set; without
// it, credits are granted by the operator (CLI or admin page) and the product says whom to ask.
// STRIPE_API_HOST/PORT/PROTOCOL point the SDK at another endpoint with Stripe's API (a test
// stand-in), through the SDK's own options. Read from the environment at use, because the web
// process, the worker and the runners all charge credits and each validates its own environment.
import Stripe from 'stripe';

let client: { key: string; stripe: Stripe } | null = null;

export function billingEnabled(): boolean {
  return Boolean(process.env.STRIPE_SECRET_KEY);
}

/** The operator's contact for credits when billing is off (LATHE_OPERATOR_CONTACT), or null. */
export function operatorContact(): string | null {
  return process.env.LATHE_OPERATOR_CONTACT?.trim() || null;
}

/** The SDK client, or null when billing is off. */
export function stripeClient(): Stripe | null {
  const key = process.env.STRIPE_SECRET_KEY;
  if (!key) return null;
  const signature = `${key}|${process.env.STRIPE_API_HOST ?? ''}|${process.env.STRIPE_API_PORT ?? ''}|${process.env.STRIPE_API_PROTOCOL ?? ''}`;
  if (client?.key !== signature) {
    const protocol = process.env.STRIPE_API_PROTOCOL === 'http' ? 'http' : 'https';
    client = {
      key: signature,
      stripe: new Stripe(key, {
        ...(process.env.STRIPE_API_HOST ? { host: process.env.STRIPE_API_HOST } : {}),
        ...(process.env.STRIPE_API_PORT ? { port: Number(process.env.STRIPE_API_PORT) } : {}),
        protocol,
        maxNetworkRetries: 2,
        timeout: 20_000,
        appInfo: { name: 'Lathe' },
      }),
    };
  }
  return client.stripe;
}

/** A client for verifying webhook signatures only (no API key needed for that). */
export function webhookVerifier(): Stripe {
  return stripeClient() ?? new Stripe('sk_test_webhook_verification_only');
}
