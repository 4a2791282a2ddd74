import path from 'node:path';
import type { Command } from 'commander';
import { CliError, dataDir } from '@/cli/context';
import { generateTinyModel } from '@/gpu-runner/trainer/python';
import { requireTrainerPython } from '@/server/services/platform/trainer-environment';

export function registerFixturesCommand(program: Command) {
  const fixtures = program.command('fixtures').description('models and data for offline tests and demos');
  fixtures
    .command('tiny-model')
    .description('write a small pretrained chat model (Llama layout, ChatML tokenizer) into a folder')
    .option('--out <dir>', 'folder to write the model into (replaced if it exists)', 'tiny-model')
    .option('--quiet', 'do not print generation progress')
    .action(async (options: { out: string; quiet?: boolean }) => {
      const outDir = path.resolve(options.out);
      // The generator is the trainer's Python: without torch it would die in a traceback.
      await requireTrainerPython({ dataDir: dataDir() });
      try {
        await generateTinyModel(outDir, { onLog: options.quiet ? undefined : (line) => console.error(line) });
      } catch (error) {
        throw new CliError(error instanceof Error ? error.message : String(error));
      }
      console.log(`tiny model written to ${outDir}`);
    });
}
