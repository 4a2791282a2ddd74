// One Prisma client per process. Secret columns are omitted unless a query asks for them.
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '@/server/generated/prisma/client';

function createClient(databaseUrl: string) {
  return new PrismaClient({
    adapter: new PrismaPg({ connectionString: databaseUrl, max: Number(process.env.LATHE_DB_POOL ?? 5) }),
    omit: { user: { passwordHash: true }, apiKey: { hash: true }, passwordResetToken: { tokenHash: true }, invitation: { tokenHash: true }, webhookEndpoint: { secretCiphertext: true, previousSecretCiphertext: true } },
  });
}

export type Db = ReturnType<typeof createClient>;

const globalForDb = globalThis as unknown as { __latheDb?: Db };

/** The process's client, created on first use so entry points can resolve DATABASE_URL first. */
export function getDb(): Db {
  if (!globalForDb.__latheDb) {
    const url = process.env.DATABASE_URL;
    if (!url) throw new Error('DATABASE_URL is not set: start Lathe with `npm start` or set DATABASE_URL');
    globalForDb.__latheDb = createClient(url);
  }
  return globalForDb.__latheDb;
}

export async function disconnectDb() {
  const client = globalForDb.__latheDb;
  globalForDb.__latheDb = undefined;
  await client?.$disconnect();
}

export const db: Db = new Proxy({} as Db, {
  get(_target, prop) {
    const client = getDb() as unknown as Record<string | symbol, unknown>;
    const value = client[prop];
    return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(client) : value;
  },
});

export type Tx = Parameters<Parameters<Db['$transaction']>[0]>[0];
