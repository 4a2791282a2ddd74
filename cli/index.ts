import { Command, CommanderError } from 'commander';
import { describeError } from '@/cli/context';
import { registerUserCommands } from '@/cli/commands/user';
import { registerKeyCommands } from '@/cli/commands/key';
import { registerCreditsCommands } from '@/cli/commands/credits';
import { registerBillingCommands } from '@/cli/commands/billing';
import { registerDbCommands } from '@/cli/commands/db';
import { registerAuditCommands } from '@/cli/commands/audit';
import { registerFixturesCommand } from '@/cli/commands/fixtures';
import { registerModelsCommands } from '@/cli/commands/models';
import { registerDoctorCommand } from '@/cli/commands/doctor';
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
registerBillingCommands(program);
registerDbCommands(program);
registerAuditCommands(program);
registerFixturesCommand(program);
registerModelsCommands(program);
registerDoctorCommand(program);
registerQuotaCommands(program);
registerSecretsCommands(program);

function fail(error: unknown): never {
  console.error(`lathe: ${describeError(error)}`);
  if (process.env.LATHE_DEBUG && error instanceof Error) console.error(error.stack);
  process.exit(1);
}
// Work a command left running (a stream, a child's callback) fails here too, not in a stack trace.
process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);

try {
  await program.parseAsync(process.argv);
  // A command that reports a problem without throwing (doctor) sets process.exitCode.
  process.exit();
} catch (error) {
  if (error instanceof CommanderError) {
    process.exit(error.exitCode === 0 ? 0 : 2);
  }
  fail(error);
}
