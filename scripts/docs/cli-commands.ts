// The `lathe` command tree as commander defines it: the same register functions cli/index.ts
// calls, applied to a fresh program that is never parsed, so the reference cannot differ from
// what `lathe --help` prints.
import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';

export interface CliOption {
  flags: string;
  description: string;
  required: boolean;
  defaultValue: string | null;
}

export interface CliCommand {
  /** The full command line prefix, such as `lathe key create`. */
  path: string;
  description: string;
  usage: string;
  arguments: { name: string; description: string; required: boolean }[];
  options: CliOption[];
  subcommands: CliCommand[];
}

/** The register functions cli/index.ts applies, as `[module, export]` pairs in its order. */
export function registeredModules(root: string): { module: string; name: string }[] {
  const source = fs.readFileSync(path.join(root, 'cli/index.ts'), 'utf8');
  const imports = new Map<string, string>();
  for (const m of source.matchAll(/import\s*\{([^}]+)\}\s*from\s*'([^']+)'/g)) {
    for (const name of m[1]!.split(',').map((s) => s.trim()).filter(Boolean)) imports.set(name, m[2]!);
  }
  return [...source.matchAll(/^(register\w+)\(program\);/gm)].map((m) => {
    const module = imports.get(m[1]!);
    if (!module) throw new Error(`cli/index.ts calls ${m[1]} without importing it`);
    return { module, name: m[1]! };
  });
}

function describe(command: Command, prefix: string): CliCommand {
  const full = prefix ? `${prefix} ${command.name()}` : command.name();
  return {
    path: full,
    description: command.description(),
    usage: `${full} ${command.usage()}`.trim(),
    arguments: command.registeredArguments.map((a) => ({ name: a.name(), description: a.description, required: a.required })),
    options: command.options
      .filter((o) => !o.hidden)
      .map((o) => ({
        flags: o.flags,
        description: o.description,
        required: Boolean(o.mandatory),
        defaultValue: o.defaultValue === undefined ? null : (o.defaultValueDescription ?? JSON.stringify(o.defaultValue)),
      })),
    subcommands: command.commands.map((c) => describe(c, full)),
  };
}

export async function readCliCommands(root: string): Promise<CliCommand> {
  const program = new Command('lathe').description('Lathe: fine-tune and serve open LLMs on your own GPUs');
  for (const { module, name } of registeredModules(root)) {
    const file = path.join(root, module.replace(/^@\//, '') + '.ts');
    const loaded = (await import(file)) as Record<string, (program: Command) => void>;
    const register = loaded[name];
    if (typeof register !== 'function') throw new Error(`${module} does not export ${name}`);
    register(program);
  }
  return describe(program, '');
}
