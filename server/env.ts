// The web process's environment, validated once at start-up. The worker and the runner have their own.
import { createEnv } from '@t3-oss/env-core';
import { z } from 'zod';

const optionalUrl = z.string().url().optional();

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
    GITHUB_ID: z.string().optional(),
    GITHUB_SECRET: z.string().optional(),
    GOOGLE_ID: z.string().optional(),
    GOOGLE_SECRET: z.string().optional(),
    SIGN_IN_ATTEMPTS_PER_15_MIN: z.coerce.number().int().positive().default(10),
  },
  runtimeEnv: process.env,
  emptyStringAsUndefined: true,
  // `next build` evaluates server modules without a database; the server validates at start.
  skipValidation: process.env.LATHE_SKIP_ENV_VALIDATION === '1',
});

export function publicUrl() {
  return env.PUBLIC_URL ?? `http://localhost:${env.PORT}`;
}
