// How a CLI command reaches the database: DATABASE_URL when set, otherwise the embedded
// PostgreSQL under LATHE_DATA_DIR (reused when `npm start` runs it, started for the command when not).
import { resolveDatabase } from '@/server/db/embedded';
import { disconnectDb, getDb, type Db } from '@/server/db';
import { applyMigrations } from '@/server/db/migrate';
import { LatheError } from '@/server/services/errors';

export class CliError extends Error {}

export const dataDir = () => process.env.LATHE_DATA_DIR ?? './.lathe';

export async function withDatabase<T>(fn: (db: Db, url: string) => Promise<T>, opts: { migrate?: boolean } = {}): Promise<T> {
  const database = await resolveDatabase({ dataDir: dataDir() });
  process.env.DATABASE_URL = database.url;
  try {
    if (opts.migrate !== false) await applyMigrations({ databaseUrl: database.url });
    return await fn(getDb(), database.url);
  } finally {
    await disconnectDb();
    if (database.startedHere) delete process.env.DATABASE_URL;
    await database.release();
  }
}

export async function userByEmail(db: Db, email: string) {
  const user = await db.user.findUnique({ where: { email: email.trim().toLowerCase() } });
  if (!user) throw new CliError(`No user with e-mail ${email}. Create one with: lathe user create --email ${email} --password ...`);
  return user;
}

/** The organization and project a user's CLI actions apply to: their personal one by default. */
export async function homeProject(db: Db, userId: string, projectId?: string) {
  const project = await db.project.findFirst({
    where: {
      ...(projectId ? { id: projectId } : {}),
      organization: { memberships: { some: { userId } } },
    },
    orderBy: [{ organization: { personal: 'desc' } }, { createdAt: 'asc' }],
  });
  if (!project) throw new CliError(projectId ? `Project ${projectId} not found for this user.` : 'This user has no project.');
  return project;
}

/** One line: services' messages already say what to do, and a stack trace says nothing to an operator. */
export function describeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof LatheError) return message.replace(/\s*\n\s*/g, ' ').trim();
  return message;
}
