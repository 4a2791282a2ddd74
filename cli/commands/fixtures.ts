import path from 'node:path';
import type { Command } from 'commander';
import { CliError } from '@/cli/context';
import { generateTinyModel } from '@/gpu-runner/trainer/python';

export function registerFixturesCommand(program: Command) {
  const fixtures = program.command('fixtures').description('models and data for offline tests and demos');
  fixtures
    .command('tiny-model')
    .description('write a small pretrained chat model (Llama layout, ChatML tokenizer) into a folder')
    .requiredOption('--out <dir>', 'folder to write the model into (replaced if it exists)')
    .option('--quiet', 'do not print generation progress')
    .action(async (options: { out: string; quiet?: boolean }) => {
      const outDir = path.resolve(options.out);
      try {
        await generateTinyModel(outDir, { onLog: options.quiet ? undefined : (line) => console.error(line) });
      } catch (error) {
        throw new CliError(error instanceof Error ? error.message : String(error));
      }
      console.log(`tiny model written to ${outDir}`);
    });
}
