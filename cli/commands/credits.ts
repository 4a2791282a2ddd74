import type { Command } from 'commander';
import { CliError, userByEmail, withDatabase } from '@/cli/context';
import type { Db } from '@/server/db';
import { adjustCredits, getBalance, grantCredits } from '@/server/services/credits/credits';

/** The user's personal organization (the one `credits` commands act on). */
async function personalOrganization(db: Db, email: string) {
  const user = await userByEmail(db, email);
  const membership = await db.membership.findFirst({
    where: { userId: user.id },
    orderBy: [{ organization: { personal: 'desc' } }, { createdAt: 'asc' }],
    select: { organizationId: true },
  });
  if (!membership) throw new CliError(`${email} belongs to no organization.`);
  return membership.organizationId;
}

function reasonOf(opts: { reason?: string; memo?: string }, command: string) {
  const reason = (opts.reason ?? opts.memo ?? '').trim();
  if (reason.length < 3) throw new CliError(`lathe credits ${command} needs --reason "<why>" (kept in the audit log).`);
  return reason;
}

export function registerCreditsCommands(program: Command) {
  const credits = program.command('credits').description("show, grant and adjust a user's credits");
  credits
    .command('show')
    .description("print the balance of a user's personal organization (the balance is the last line)")
    .requiredOption('--email <email>', 'the user')
    .option('--json', 'print {"organizationId", "balance"}')
    .action(async (opts: { email: string; json?: boolean }) => {
      await withDatabase(async (db) => {
        const organizationId = await personalOrganization(db, opts.email);
        const balance = await getBalance({ db, organizationId });
        if (opts.json) console.log(JSON.stringify({ organizationId, balance: Number(balance) }));
        else {
          console.log(`organization ${organizationId}`);
          console.log(balance);
        }
      });
    });
  credits
    .command('grant')
    .description("grant credits to a user's personal organization")
    .requiredOption('--email <email>', 'user whose organization receives the credits')
    .requiredOption('--amount <n>', 'credits to grant (a positive number)')
    .option('--reason <text>', 'why the credits are granted (kept in the ledger and the audit log)')
    .option('--memo <text>', 'the same as --reason')
    .action(async (opts: { email: string; amount: string; reason?: string; memo?: string }) => {
      if (!/^\d+(\.\d{1,6})?$/.test(opts.amount) || Number(opts.amount) <= 0) {
        throw new CliError(`--amount must be a positive number with at most 6 decimals, got "${opts.amount}"`);
      }
      const reason = opts.reason || opts.memo ? reasonOf(opts, 'grant') : 'granted with lathe credits grant';
      await withDatabase(async (db) => {
        const organizationId = await personalOrganization(db, opts.email);
        await grantCredits({ db, organizationId, amount: opts.amount, actor: { userId: null }, memo: reason });
        console.log(`granted ${opts.amount} credits; balance ${await getBalance({ db, organizationId })}`);
      });
    });
  credits
    .command('adjust')
    .description("correct a user's personal organization's balance by a signed amount")
    .requiredOption('--email <email>', 'the user')
    .requiredOption('--amount <n>', 'credits to add, or to take away when negative (e.g. -12.5)')
    .option('--reason <text>', 'why (required; kept in the audit log)')
    .option('--memo <text>', 'the same as --reason')
    .allowExcessArguments(false)
    .action(async (opts: { email: string; amount: string; reason?: string; memo?: string }) => {
      if (!/^-?\d+(\.\d{1,6})?$/.test(opts.amount) || Number(opts.amount) === 0) {
        throw new CliError(`--amount must be a non-zero number with at most 6 decimals, got "${opts.amount}"`);
      }
      const reason = reasonOf(opts, 'adjust');
      await withDatabase(async (db) => {
        const organizationId = await personalOrganization(db, opts.email);
        await adjustCredits({ db, organizationId, amount: opts.amount, reason, actor: { userId: null } });
        console.log(`adjusted by ${opts.amount} credits; balance ${await getBalance({ db, organizationId })}`);
      });
    });
}
