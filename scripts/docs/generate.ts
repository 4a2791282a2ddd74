// The documentation pages that are written from code: datasets (the validator's code table),
// troubleshooting (the error catalogue), the CLI reference (commander) and self-hosting (the env
// schemas). `npm run docs:generate` writes them into content/docs; generate.test.ts fails when
// the committed pages differ from what this produces.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { VALIDATION_CODES, type ValidationCode } from '@/lib/universal/dataset-report';
import { ERROR_CLASSES, ERROR_CODES, type ErrorClass } from '@/lib/universal/errors';
import { loadCodeDocs } from '@/server/services/datasets/platform/code-docs';
import { readCliCommands, type CliCommand } from './cli-commands';
import { ENV_DESCRIPTIONS, INTERNAL_ENV } from './env-descriptions';
import { readEnvSchemas, type EnvProcess, type EnvVariable } from './env-schema';
import { GENERATED_NOTE, cell, escapeInline, frontmatter, markdownToMdx } from './mdx-text';

export const ROOT = path.resolve(import.meta.dirname, '..', '..');
export const CONTENT = path.join(ROOT, 'content', 'docs');

// ---------------------------------------------------------------- datasets

type FixtureCase = { file: string; line: number | null; field: string | null };

/** One offending line from the validator's test corpus, shown as the user would see it. */
function exampleFor(code: ValidationCode, fixtures: Record<string, FixtureCase>): string {
  const testCase = fixtures[code];
  if (!testCase) return '';
  const bytes = fs.readFileSync(path.join(ROOT, 'tests/fixtures/datasets', testCase.file));
  const lines = bytes.toString('latin1').split('\n');
  const where = testCase.field ? ` (field \`${testCase.field}\`)` : '';
  if (testCase.line === null) return `**Example:** a file of ${lines.filter((l) => l.trim()).length} examples.\n`;
  const raw = Buffer.from(lines[testCase.line - 1] ?? '', 'latin1');
  let shown: string;
  if (raw.length === 0 || raw.toString('utf8').trim() === '') shown = '(an empty line)';
  else if (raw.length > 400) shown = `(a line of ${raw.length.toLocaleString('en')} bytes)`;
  else {
    const text = raw.toString('utf8');
    const bom = text.startsWith('\uFEFF');
    const valid = Buffer.from(text, 'utf8').equals(raw);
    shown = valid
      ? `${bom ? '<EF BB BF>' : ''}${bom ? text.slice(1) : text}`
      : [...raw].map((b) => (b < 0x80 ? String.fromCharCode(b) : `<${b.toString(16).toUpperCase()}>`)).join('');
  }
  return `**Example:** line ${testCase.line}${where}:\n\n\`\`\`text\n${shown}\n\`\`\`\n`;
}

async function datasetsPage(): Promise<string> {
  const guide = fs.readFileSync(path.join(ROOT, 'docs/datasets.md'), 'utf8');
  const start = guide.indexOf('\n## ');
  const codesAt = guide.indexOf('\n## Validation codes');
  const afterCodes = guide.indexOf('\n## ', codesAt + 1);
  const intro = guide.slice(guide.indexOf('\n') + 1, start).trim();
  const before = guide.slice(start + 1, codesAt);
  const codesIntro = guide.slice(codesAt + 1, afterCodes).split('\n### ')[0]!.replace(/^## Validation codes\n/, '').trim();
  const after = afterCodes > 0 ? guide.slice(afterCodes + 1) : '';

  const docs = await loadCodeDocs(path.join(ROOT, 'docs/datasets.md'));
  const fixtures = JSON.parse(fs.readFileSync(path.join(ROOT, 'tests/fixtures/datasets/expected.json'), 'utf8')) as Record<string, FixtureCase>;
  const codes = (Object.keys(VALIDATION_CODES) as ValidationCode[]).map((code) => {
    const doc = docs[code];
    return [
      `### \`${code}\``,
      '',
      `**${doc.severity === 'error' ? 'Error' : 'Warning'}.** ${escapeInline(doc.meaning)}`,
      '',
      exampleFor(code, fixtures),
      doc.fix ? `**Fix:** ${escapeInline(doc.fix)}\n` : `**Fix:** ${escapeInline(doc.summary)}\n`,
    ].join('\n');
  });
  const table = ['| Code | Severity | Meaning |', '|---|---|---|', ...(Object.entries(VALIDATION_CODES) as [ValidationCode, { severity: string; summary: string }][]).map(([code, info]) => `| [\`${code}\`](#${code}) | ${info.severity} | ${cell(info.summary)} |`)];
  return [
    frontmatter('Datasets', 'Every dataset format Lathe reads, and every validation code with an example and its fix.'),
    GENERATED_NOTE('docs/datasets.md, lib/universal/dataset-report.ts and the validator\'s test corpus'),
    markdownToMdx(intro),
    '',
    markdownToMdx(before).trim(),
    '',
    '## Validation codes',
    '',
    markdownToMdx(codesIntro),
    '',
    ...table,
    '',
    ...codes,
    markdownToMdx(after).trim(),
    '',
  ].join('\n');
}

// ---------------------------------------------------------------- troubleshooting

function troubleshootingPage(): string {
  const byClass = new Map<ErrorClass, string[]>();
  for (const [code, spec] of Object.entries(ERROR_CODES) as [string, { class: ErrorClass }][]) {
    byClass.set(spec.class, [...(byClass.get(spec.class) ?? []), code]);
  }
  const classes = (Object.entries(ERROR_CLASSES) as [ErrorClass, (typeof ERROR_CLASSES)[ErrorClass]][]).map(([name, spec]) => {
    const status = 'openaiStatus' in spec ? `${spec.status} (${spec.openaiStatus} on /v1)` : String(spec.status);
    const codes = byClass.get(name) ?? [];
    const rows = codes.map((code) => {
      const codeSpec = ERROR_CODES[code as keyof typeof ERROR_CODES] as { action?: string; type?: string };
      return `| \`${code}\` | ${codeSpec.type ? `\`${codeSpec.type}\`` : `\`${spec.type}\``} | ${cell(codeSpec.action ?? spec.action)} |`;
    });
    return [
      `## ${name.replace(/_/g, ' ').toLowerCase().replace(/^./, (c) => c.toUpperCase())}`,
      '',
      `HTTP ${status} · OpenAI type \`${spec.type}\` · tRPC \`${spec.trpc}\``,
      '',
      `**What to do:** ${escapeInline(spec.action)}`,
      '',
      ...(rows.length ? ['| Code | OpenAI type | What to do |', '|---|---|---|', ...rows, ''] : ['No code of its own: the message says what went wrong.', '']),
    ].join('\n');
  });
  return [
    frontmatter('Troubleshooting', 'Every error code Lathe answers with, what it means and what to do about it.'),
    GENERATED_NOTE('lib/universal/errors.ts'),
    'Every error Lathe returns has a class, which fixes its HTTP status, its OpenAI `type` and its tRPC code, and usually a machine code. On the OpenAI-compatible API the code is the `code` field of `{"error": {"message", "type", "param", "code"}}`; in the dashboard\'s API it is `data.reason`. The message always says what went wrong in this case; the tables below say what to do about each code.',
    '',
    'Problems with a dataset file are reported as [validation codes](/docs/datasets#validation-codes), not as errors.',
    '',
    ...classes,
  ].join('\n');
}

// ---------------------------------------------------------------- CLI reference

function commandSection(command: CliCommand, depth: number): string[] {
  const lines: string[] = [];
  if (depth > 0) {
    lines.push(`${depth === 1 ? '##' : '###'} \`${command.path}\``, '', `${escapeInline(command.description.replace(/^./, (c) => c.toUpperCase()))}.`.replace(/\.\.$/, '.'), '');
    if (command.subcommands.length === 0) {
      lines.push('```text', command.usage, '```', '');
      if (command.arguments.length) {
        lines.push('| Argument | Required | Description |', '|---|---|---|');
        for (const a of command.arguments) lines.push(`| \`${a.name}\` | ${a.required ? 'yes' : 'no'} | ${cell(a.description || '')} |`);
        lines.push('');
      }
      if (command.options.length) {
        lines.push('| Option | Required | Default | Description |', '|---|---|---|---|');
        for (const o of command.options) lines.push(`| \`${o.flags}\` | ${o.required ? 'yes' : 'no'} | ${o.defaultValue === null ? '' : `\`${o.defaultValue}\``} | ${cell(o.description)} |`);
        lines.push('');
      }
    }
  }
  for (const sub of command.subcommands) lines.push(...commandSection(sub, depth + 1));
  return lines;
}

async function cliReferencePage(): Promise<string> {
  const program = await readCliCommands(ROOT);
  return [
    frontmatter('CLI reference', 'Every command and option of the `lathe` command for operators.'),
    GENERATED_NOTE('the commander definitions in cli/'),
    '`lathe` is the operators\' command: it works on the platform\'s database and files directly, so run it on a host of the platform with the same environment as the web app (`DATABASE_URL`, `LATHE_DATA_DIR`). In a checkout, `npm run lathe -- <command>` runs it; `lathe <command> --help` prints the same information as this page.',
    '',
    'Exit status: 0 on success, 1 when the command fails (the reason is printed as one line starting with `lathe:`), 2 for a usage error.',
    '',
    ...commandSection(program, 0),
  ].join('\n');
}

// ---------------------------------------------------------------- self-hosting

const SCANNED = ['server', 'worker', 'gpu-runner', 'lib', 'cli', 'app', 'scripts/start.ts', 'scripts/lib'];
const EXTRA_NAME = /(?:process\.env\.|\benv\.|['"`]|^\s*)((?:LATHE|HF|AWS)_[A-Z0-9_]*[A-Z0-9]|LOG_LEVEL)\b/gm;

/** Variables read by code outside the three env schemas, with the first file that reads each. */
function variablesOutsideSchemas(known: Set<string>): Map<string, string> {
  const found = new Map<string, string>();
  const walk = (rel: string) => {
    const full = path.join(ROOT, rel);
    if (!fs.existsSync(full)) return;
    if (fs.statSync(full).isDirectory()) {
      for (const name of fs.readdirSync(full).sort()) if (name !== 'node_modules' && name !== 'generated' && name !== '__pycache__') walk(path.join(rel, name));
      return;
    }
    if (!/\.(ts|tsx|mjs|py)$/.test(rel) || /\.(test|spec)\.ts$/.test(rel)) return;
    for (const m of fs.readFileSync(full, 'utf8').matchAll(EXTRA_NAME)) {
      const name = m[1]!;
      if (!known.has(name) && !INTERNAL_ENV.has(name) && !found.has(name)) found.set(name, rel);
    }
  };
  SCANNED.forEach(walk);
  return new Map([...found].sort(([a], [b]) => a.localeCompare(b)));
}

function environmentTables(): string {
  const variables = readEnvSchemas(ROOT);
  const merged = new Map<string, { processes: EnvProcess[]; variable: EnvVariable }>();
  for (const v of variables) {
    const entry = merged.get(v.name);
    if (entry) entry.processes.push(v.process);
    else merged.set(v.name, { processes: [v.process], variable: v });
  }
  const describe = (name: string, comment: string | null, readIn?: string) => ENV_DESCRIPTIONS[name] ?? comment ?? `Read in \`${readIn ?? 'its schema'}\`.`;
  const schemaRows = [...merged.values()].map(({ processes, variable: v }) => {
    const def = v.required ? '**required**' : v.defaultValue === null ? '' : v.defaultValue === '' ? 'empty' : `\`${v.defaultValue}\``;
    return `| \`${v.name}\` | ${processes.join(', ')} | ${cell(v.type)} | ${def} | ${cell(describe(v.name, v.comment))} |`;
  });
  const others = variablesOutsideSchemas(new Set(merged.keys()));
  const otherRows = [...others].map(([name, file]) => `| \`${name}\` | ${cell(describe(name, null, file))} |`);
  return [
    'These are validated when each process starts; a bad value stops it with a message naming the variable.',
    '',
    '| Variable | Process | Value | Default | Description |',
    '|---|---|---|---|---|',
    ...schemaRows,
    '',
    '### Read where they are used',
    '',
    'These are read by the part of Lathe they configure, and checked there.',
    '',
    '| Variable | Description |',
    '|---|---|',
    ...otherRows,
  ].join('\n');
}

function selfHostingPage(): string {
  const template = fs.readFileSync(path.join(ROOT, 'scripts/docs/templates/self-hosting.mdx'), 'utf8');
  if (!template.includes('{{ENVIRONMENT}}')) throw new Error('scripts/docs/templates/self-hosting.mdx lost its {{ENVIRONMENT}} marker');
  const end = template.startsWith('---\n') ? template.indexOf('\n---\n', 3) + 5 : 0;
  const [head, body] = [template.slice(0, end), template.slice(end)];
  return `${head}${GENERATED_NOTE('scripts/docs/templates/self-hosting.mdx and the env schemas')}${body.replace('{{ENVIRONMENT}}', environmentTables())}`;
}

// ---------------------------------------------------------------- all

export async function generatedPages(): Promise<Record<string, string>> {
  return {
    'datasets.mdx': await datasetsPage(),
    'troubleshooting.mdx': troubleshootingPage(),
    'cli-reference.mdx': await cliReferencePage(),
    'self-hosting.mdx': selfHostingPage(),
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const pages = await generatedPages();
  for (const [file, text] of Object.entries(pages)) {
    fs.writeFileSync(path.join(CONTENT, file), text);
    console.log(`wrote content/docs/${file}`);
  }
  process.exit(0);
}
