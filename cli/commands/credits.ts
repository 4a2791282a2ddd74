import type { Command } from 'commander';
import { CliError, homeProject, userByEmail, withDatabase } from '@/cli/context';
import { getBalance, grantCredits } from '@/server/services/credits/credits';

export function registerCreditsCommands(program: Command) {
  const credits = program.command('credits').description('manage credits');
  credits
    .command('grant')
    .description("grant credits to a user's personal organization")
    .requiredOption('--email <email>', 'user whose organization receives the credits')
    .requiredOption('--amount <n>', 'credits to grant (a positive number)')
    .option('--memo <text>', 'why the credits were granted')
    .action(async (opts: { email: string; amount: string; memo?: string }) => {
      if (!/^\d+(\.\d{1,6})?$/.test(opts.amount) || Number(opts.amount) <= 0) {
        throw new CliError(`--amount must be a positive number with at most 6 decimals, got "${opts.amount}"`);
      }
      await withDatabase(async (db) => {
        const user = await userByEmail(db, opts.email);
        const { organizationId } = await homeProject(db, user.id);
        await grantCredits({ db, organizationId, amount: opts.amount, actor: { userId: null }, memo: opts.memo ?? 'granted with lathe credits grant' });
        console.log(`granted ${opts.amount} credits; balance ${await getBalance({ db, organizationId })}`);
      });
    });
}
