// Jobs are inserted inside the caller's transaction, so a dataset row and the job that validates
// it are committed together or not at all.
import type { z } from 'zod';
import type { PgBoss } from 'pg-boss';
import { enqueue, type JobContract } from '@/server/queue/contracts';

type RawTx = { $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T> };

/**
 * Sends a job through the given transaction: it exists only if that transaction commits. Take the
 * started client (getBoss) before opening the transaction, so starting it never holds one open.
 */
export async function enqueueInTransaction<S extends z.ZodType>(boss: PgBoss, tx: RawTx, contract: JobContract<S>, payload: z.input<S>): Promise<string | null> {
  const db = { executeSql: async (text: string, values: unknown[] = []) => ({ rows: await tx.$queryRawUnsafe<unknown[]>(text, ...values) }) };
  return enqueue(boss, contract, payload, { db });
}
