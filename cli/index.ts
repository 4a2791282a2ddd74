import { Command, CommanderError } from 'commander';
import { describeError } from '@/cli/context';
import { registerUserCommands } from '@/cli/commands/user';
import { registerKeyCommands } from '@/cli/commands/key';
import { registerCreditsCommands } from '@/cli/commands/credits';
import { registerDbCommands } from '@/cli/commands/db';
import { registerAuditCommands } from '@/cli/commands/audit';
import { registerFixturesCommand } from '@/cli/commands/fixtures';
import { registerModelsCommands } from '@/cli/commands/models';
import { registerQuotaCommands } from '@/cli/commands/quotas';
import { registerSecretsCommands } from '@/cli/commands/secrets';

process.env.LATHE_PROCESS ??= 'cli';
process.env.LOG_LEVEL ??= 'warn';

const program = new Command('lathe')
  .description('Lathe: fine-tune and serve open LLMs on your own GPUs')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

registerUserCommands(program);
registerKeyCommands(program);
registerCreditsCommands(program);
registerDbCommands(program);
registerAuditCommands(program);
registerFixturesCommand(program);
registerModelsCommands(program);
registerQuotaCommands(program);
registerSecretsCommands(program);

try {
  await program.parseAsync(process.argv);
  process.exit(0);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exit(error.exitCode === 0 ? 0 : 2);
  }
  console.error(`lathe: ${describeError(error)}`);
  process.exit(1);
}
