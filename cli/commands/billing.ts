import type { Command } from 'commander';
import { withDatabase } from '@/cli/context';
import { packCredits } from '@/lib/universal/price-book';
import { getPriceBook } from '@/server/services/billing/price-book';
import { reconcilePayments } from '@/server/services/billing/reconcile';

export function registerBillingCommands(program: Command) {
  const billing = program.command('billing').description('credit packs and Stripe reconciliation');
  billing
    .command('packs')
    .description('list the credit packs of the price book (amount in the smallest currency unit)')
    .option('--json', 'print [{"id", "credits", "amount", "currency"}]')
    .action(async (opts: { json?: boolean }) => {
      await withDatabase(async (db) => {
        const book = await getPriceBook({ db });
        const packs = book.packs.map((p) => ({ id: p.id, credits: packCredits(p), amount: p.amount, currency: p.currency }));
        if (opts.json) console.log(JSON.stringify(packs));
        else for (const p of packs) console.log(`${p.id}\t${p.credits} credits\t${p.amount} ${p.currency} (smallest unit)`);
      });
    });
  billing
    .command('reconcile')
    .description('compare recorded Stripe payments with ledger purchases and refunds; exit 1 when they differ')
    .option('--json', 'print {"payments", "differences": [...]}')
    .action(async (opts: { json?: boolean }) => {
      await withDatabase(async (db) => {
        const result = await reconcilePayments({ db });
        if (opts.json) console.log(JSON.stringify(result));
        else if (result.differences.length === 0) console.log(`${result.payments} payments checked: no differences`);
        else {
          for (const d of result.differences) console.log(`${d.paymentId}\t${d.organizationId ?? '-'}\t${d.problem}: expected ${d.expected}, ledger ${d.actual}`);
          console.log(`${result.payments} payments checked: ${result.differences.length} differences`);
        }
        if (result.differences.length > 0) process.exitCode = 1;
      });
    });
}
