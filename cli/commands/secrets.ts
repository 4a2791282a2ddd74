import type { Command } from 'commander';
import { CliError, withDatabase } from '@/cli/context';
import { rotateHubTokens } from '@/server/services/orgs/hub-token';

export function registerSecretsCommands(program: Command) {
  const secrets = program.command('secrets').description('secrets stored for organizations (their Hugging Face tokens)');
  secrets
    .command('rotate')
    .description('re-encrypt every stored secret under LATHE_SECRET_KEY; keys being retired go in LATHE_SECRET_KEY_PREVIOUS until this has run')
    .action(async () => {
      await withDatabase(async (db) => {
        const { rotated, unreadable } = await rotateHubTokens({ db });
        console.log(`re-encrypted ${rotated} secret${rotated === 1 ? '' : 's'} under the current key`);
        if (unreadable.length > 0) {
          throw new CliError(`${unreadable.length} secret(s) decrypt with no key given (organizations ${unreadable.join(', ')}): add their key to LATHE_SECRET_KEY_PREVIOUS, or have those organizations store their token again`);
        }
      });
    });
}
