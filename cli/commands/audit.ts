import type { Command } from 'commander';
import { CliError, withDatabase } from '@/cli/context';
import { verifyAuditChain } from '@/server/services/audit/verify-audit-chain';

export function registerAuditCommands(program: Command) {
  const audit = program.command('audit').description('the audit log');
  audit
    .command('verify')
    .description('walk the hash chains (one per organization) and report the first broken link')
    .action(async () => {
      await withDatabase(async (db) => {
        const report = await verifyAuditChain({ db });
        if (!report.ok) throw new CliError(`audit chain broken at entry ${report.brokenAtId} (after ${report.entries - 1} good entries): ${report.reason}`);
        console.log(`audit chain intact: ${report.entries} entries in ${report.chains} chains`);
      });
    });
}
