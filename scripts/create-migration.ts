// npm run db:migration -- <name>: writes prisma/migrations/<stamp>_<name> from the schema change.
import { createMigration } from '../server/db/migrate';

const name = process.argv[2];
if (!name) {
  console.error('usage: npm run db:migration -- <name>');
  process.exit(2);
}
const databaseUrl = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const dir = await createMigration({ databaseUrl, name });
console.log(dir ? `wrote ${dir}` : 'no schema changes');
