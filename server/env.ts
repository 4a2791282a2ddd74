// The web process's environment, validated once at start-up. The worker and the runner have their own.
import { createEnv } from '@t3-oss/env-core';
import { z } from 'zod';
import { parseTrustedProxies } from '@/server/services/auth/client-address';

const optionalUrl = z.string().url().optional();

function trustedProxiesReadable(spec: string | undefined): boolean {
  try {
    parseTrustedProxies(spec);
    return true;
  } catch {
    return false;
  }
}

export const env = createEnv({
  server: {
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    DATABASE_URL: z.string().url(),
    LATHE_DATA_DIR: z.string().default('./.lathe'),
    PORT: z.coerce.number().int().positive().default(3000),
    HOST: z.string().default('0.0.0.0'),
    PUBLIC_URL: optionalUrl,
    AUTH_SECRET: z.string().min(32, 'AUTH_SECRET must be at least 32 characters'),
    ADMIN_TOKEN: z.string().min(16, 'ADMIN_TOKEN must be at least 16 characters').optional(),
    SMTP_URL: z.string().optional(),
    MAIL_FROM: z.string().default('Lathe <no-reply@lathe.local>'),
    EMAIL_VERIFICATION: z.enum(['on', 'off']).optional(),
    GITHUB_ID: z.string().optional(),
    GITHUB_SECRET: z.string().optional(),
    GOOGLE_ID: z.string().optional(),
    GOOGLE_SECRET: z.string().optional(),
    // Sign-in back-off (server/services/auth/sign-in-throttle.ts).
    SIGN_IN_FREE_ATTEMPTS: z.coerce.number().int().positive().default(5),
    SIGN_IN_FIRST_DELAY_S: z.coerce.number().int().positive().default(1),
    SIGN_IN_MAX_DELAY_S: z.coerce.number().int().positive().default(900),
    /** Proxies whose X-Forwarded-For is believed: addresses and CIDR ranges; unset, nobody's. */
    LATHE_TRUSTED_PROXIES: z.string().optional().refine(trustedProxiesReadable, { message: 'LATHE_TRUSTED_PROXIES must list IP addresses and CIDR ranges, for example "10.0.0.0/8, 127.0.0.1"' }),
    /** /metrics and /health, off the public port; unauthenticated, so on a private interface only. */
    WEB_OPS_PORT: z.coerce.number().int().min(0).default(3100),
    WEB_OPS_HOST: z.string().default('127.0.0.1'),
    // Who runs this installation, for the imprint, terms and privacy pages. Multi-line values
    // (the address) take "\n" or real line breaks.
    LATHE_OPERATOR_NAME: z.string().optional(),
    LATHE_OPERATOR_ADDRESS: z.string().optional(),
    LATHE_OPERATOR_EMAIL: z.string().email().optional(),
    LATHE_OPERATOR_REPRESENTATIVE: z.string().optional(),
    LATHE_OPERATOR_REGISTER: z.string().optional(),
    LATHE_OPERATOR_VAT_ID: z.string().optional(),
    /** Webhook destinations in private, loopback and link-local ranges: refused unless 1. */
    LATHE_WEBHOOK_ALLOW_PRIVATE: z.enum(['0', '1']).default('0'),
    /** A charge that takes an organization's balance under this many credits sends credits.low. */
    LATHE_CREDITS_LOW_THRESHOLD: z.coerce.number().min(0).default(100),
    // Billing (server/services/billing/): on when STRIPE_SECRET_KEY is set.
    STRIPE_SECRET_KEY: z.string().optional(),
    STRIPE_WEBHOOK_SECRET: z.string().optional(),
    /** Another endpoint with Stripe's API (a test stand-in); unset, Stripe's own. */
    STRIPE_API_HOST: z.string().optional(),
    STRIPE_API_PORT: z.coerce.number().int().positive().optional(),
    STRIPE_API_PROTOCOL: z.enum(['http', 'https']).optional(),
    /** Whom users ask for credits when billing is off: an e-mail address or a sentence. */
    LATHE_OPERATOR_CONTACT: z.string().optional(),
  },
  runtimeEnv: process.env,
  emptyStringAsUndefined: true,
  // `next build` evaluates server modules without a database; the server validates at start.
  skipValidation: process.env.LATHE_SKIP_ENV_VALIDATION === '1',
});

export function publicUrl() {
  return env.PUBLIC_URL ?? `http://localhost:${env.PORT}`;
}
