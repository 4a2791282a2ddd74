import type { Command } from 'commander';
import { userByEmail, withDatabase } from '@/cli/context';
import { createUser } from '@/server/services/users/create-user';
import { deleteAccount } from '@/server/services/users/delete-account';

export function registerUserCommands(program: Command) {
  const user = program.command('user').description('manage users');
  user
    .command('create')
    .description('create a user with a personal organization and a default project')
    .requiredOption('--email <email>', 'e-mail address')
    .requiredOption('--password <password>', 'password (at least 10 characters)')
    .option('--name <name>', 'display name')
    .option('--admin', 'make the user a platform administrator', false)
    .action(async (opts: { email: string; password: string; name?: string; admin: boolean }) => {
      await withDatabase(async (db) => {
        const { user: created, organization, project } = await createUser({ db, email: opts.email, password: opts.password, name: opts.name, admin: opts.admin });
        console.log(`created user ${created.email} (${created.role.toLowerCase()}) id=${created.id}`);
        console.log(`organization ${organization.slug} id=${organization.id}, project ${project.slug} id=${project.id}`);
      });
    });
  user
    .command('delete')
    .description('delete a user with their personal organization and end their sessions')
    .requiredOption('--email <email>', 'e-mail address')
    .action(async (opts: { email: string }) => {
      await withDatabase(async (db) => {
        const found = await userByEmail(db, opts.email);
        await deleteAccount({ db, userId: found.id });
        console.log(`deleted user ${found.email} id=${found.id}`);
      });
    });
}
