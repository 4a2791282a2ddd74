import type { Command } from 'commander';
import { homeProject, userByEmail, withDatabase } from '@/cli/context';
import { tenantDb } from '@/server/db/tenant';
import { createApiKey } from '@/server/services/api-keys/api-keys';

export function registerKeyCommands(program: Command) {
  const key = program.command('key').description('manage API keys');
  key
    .command('create')
    .description("create an API key for a user's project; the key is printed alone on the last line")
    .requiredOption('--email <email>', 'owner of the key')
    .option('--name <name>', 'a name to recognise the key by', 'cli')
    .option('--project <id>', "project id (default: the user's personal default project)")
    .action(async (opts: { email: string; name: string; project?: string }) => {
      await withDatabase(async (db) => {
        const user = await userByEmail(db, opts.email);
        const project = await homeProject(db, user.id, opts.project);
        const scope = { organizationId: project.organizationId, projectId: project.id };
        const { key: secret, apiKey } = await createApiKey({ tenant: { db: tenantDb(scope, db), scope, actor: { userId: user.id } }, name: opts.name });
        console.log(`created key ${apiKey.prefix}… "${apiKey.name}" for project ${project.name} (${project.id}); it is shown only once:`);
        console.log(secret);
      });
    });
}
