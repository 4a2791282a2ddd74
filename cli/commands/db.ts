import type { Command } from 'commander';
import { withDatabase } from '@/cli/context';
import { applyMigrations } from '@/server/db/migrate';

export function registerDbCommands(program: Command) {
  const db = program.command('db').description('database maintenance');
  db.command('migrate')
    .description('apply pending migrations')
    .action(async () => {
      await withDatabase(
        async (_db, url) => {
          const applied = await applyMigrations({ databaseUrl: url });
          console.log(applied.length ? `applied ${applied.length} migration(s): ${applied.join(', ')}` : 'database is up to date');
        },
        { migrate: false },
      );
    });
}
