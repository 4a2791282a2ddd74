// One pg-boss client per process for sending jobs (the worker and the runners also consume).
import { PgBoss } from 'pg-boss';
import { ensureQueues } from '@/server/queue/contracts';
import { logger } from '@/server/logger';

const globalForBoss = globalThis as unknown as { __latheBoss?: Promise<PgBoss> };

export function getBoss(): Promise<PgBoss> {
  globalForBoss.__latheBoss ??= (async () => {
    const url = process.env.DATABASE_URL;
    if (!url) throw new Error('DATABASE_URL is not set');
    const boss = new PgBoss({ connectionString: url, schema: 'pgboss', max: 4 });
    boss.on('error', (error) => logger.error({ err: error }, 'pg-boss error'));
    await boss.start();
    await ensureQueues(boss);
    return boss;
  })().catch((error: unknown) => {
    globalForBoss.__latheBoss = undefined;
    throw error;
  });
  return globalForBoss.__latheBoss;
}

export async function stopBoss() {
  const boss = await globalForBoss.__latheBoss?.catch(() => undefined);
  globalForBoss.__latheBoss = undefined;
  await boss?.stop({ graceful: false });
}
