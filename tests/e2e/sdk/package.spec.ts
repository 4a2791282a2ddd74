// The @lathe/sdk tarball exactly as it would be published, installed where no repository code is
// reachable: its code and its type declarations import nothing from Prisma, pg, next or the server
// (the declarations import nothing at all: the package installs with no dependencies), the
// declarations of the tRPC client match the server's AppRouter as it is now, and a project with
// only the tarball (and Node's types) type-checks the loop with skipLibCheck off, and
// refuses a misuse of it.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const SDK_DIR = path.resolve('packages/sdk');
const GENERATED = path.join(SDK_DIR, 'src/generated/router-types.d.ts');
const TSC = path.resolve('node_modules/.bin/tsc');

let work: string;
let installed: string;
let committedTypes: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'lathe-sdk-package-'));
  committedTypes = await readFile(GENERATED, 'utf8');
  // The package's own build: the client's types generated from the AppRouter, then the bundles.
  await run('npm', ['run', 'build'], { cwd: SDK_DIR, maxBuffer: 1 << 24 });
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--pack-destination', work, '--json'], { cwd: SDK_DIR });
  const tarball = path.join(work, (JSON.parse(stdout) as { filename: string }[])[0]!.filename);
  installed = path.join(work, 'app');
  await mkdir(installed);
  await writeFile(path.join(installed, 'package.json'), '{"name":"sdk-types-check","private":true,"type":"module"}\n');
  await run('npm', ['install', '--offline', '--no-audit', '--no-fund', tarball], { cwd: installed });
}, 600_000);

afterAll(async () => {
  // The build rewrote the generated file; a stale committed one fails below, and is left fixed.
  if (work) await rm(work, { recursive: true, force: true });
});

const SERVER_ONLY = /prisma|^pg($|\/)|^next($|\/)|server\//;
const specifiersOf = (code: string) => [...code.matchAll(/(?:from\s*|import\(\s*|require\(\s*)["']([^"']+)["']/g)].map((m) => m[1]!);

describe('the packed SDK', () => {
  it('imports nothing from Prisma, pg, next or the server in its code', async () => {
    const dir = path.join(installed, 'node_modules/@lathe/sdk');
    const files = (await readdir(path.join(dir, 'dist'))).filter((f) => f.endsWith('.js'));
    expect(files.sort()).toEqual(['browser.js', 'index.js']);
    const manifest = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')) as { dependencies?: object };
    expect(manifest.dependencies ?? {}).toEqual({});
    for (const file of files) {
      const code = await readFile(path.join(dir, 'dist', file), 'utf8');
      expect(specifiersOf(code).filter((s) => SERVER_ONLY.test(s)), file).toEqual([]);
      expect(code).not.toMatch(/PrismaClient|@prisma\/client/);
    }
  });

  it('declares its types without importing anything, Prisma, pg, next, zod, tRPC and the server included', async () => {
    const dir = path.join(installed, 'node_modules/@lathe/sdk/dist');
    const declarations = (await readdir(dir)).filter((f) => /\.d\.[cm]?ts$/.test(f));
    expect(declarations).toContain('index.d.ts');
    for (const file of declarations) {
      const text = await readFile(path.join(dir, file), 'utf8');
      const specifiers = specifiersOf(text);
      expect(specifiers.filter((s) => SERVER_ONLY.test(s)), file).toEqual([]);
      // No dependencies are installed with the package, so any bare import would not resolve.
      expect(specifiers.filter((s) => !s.startsWith('.')), file).toEqual([]);
      expect(text).not.toMatch(/PrismaClient|@prisma\/|\$Enums|runtime\.(Decimal|JsonValue)/);
      expect(text).toMatch(/interface LatheTrpcClient/);
    }
  });

  it('declares the tRPC client of the AppRouter as it is now (the generated file is up to date)', async () => {
    expect(await readFile(GENERATED, 'utf8')).toBe(committedTypes);
  });

  it('type-checks the issue\'s loop in a project with only the tarball, skipLibCheck off, and refuses a misuse', async () => {
    const loop = `import { createLathe, LatheApiError } from '@lathe/sdk';
const lathe = createLathe({ apiKey: process.env.LATHE_API_KEY, baseUrl: 'http://localhost:3000' });
const dataset = await lathe.datasets.upload('./chats.jsonl', { onProgress: (p) => console.log(p.fraction) });
const report = await lathe.datasets.waitUntilValidated(dataset.id); // { status: 'valid' | 'invalid', findings }
const status: 'valid' | 'invalid' = report.status;
for (const finding of report.findings) console.log(finding.line, finding.code, finding.field);
const job = await lathe.jobs.create({ model: 'tiny', trainingFile: dataset.id });
for await (const event of lathe.jobs.watch(job.id)) console.log(event.type, event.message); // ends with the job
const done = await lathe.jobs.wait(job.id); // { status, fineTunedModel, ... }
const reply = await lathe.chat.completions.create({ model: done.fineTunedModel!, messages: [{ role: 'user', content: 'hi' }] });
console.log(status, reply.choices[0]?.message.content);
const datasets = await lathe.trpc.dataset.list.query({});
console.log(datasets, (await lathe.credits.balance()), new LatheApiError('x', { code: 'x', status: 400 }).code);
`;
    const tsconfig = {
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        skipLibCheck: false,
        noEmit: true,
        lib: ['ES2023', 'DOM'],
        // Node's own types, as any Node project has them; nothing of Lathe's but the tarball.
        types: ['node'],
        typeRoots: [path.resolve('node_modules/@types')],
      },
      files: ['loop.ts'],
    };
    await writeFile(path.join(installed, 'loop.ts'), loop);
    await writeFile(path.join(installed, 'tsconfig.json'), JSON.stringify(tsconfig));
    const ok = await run(TSC, ['-p', '.'], { cwd: installed }).then(
      () => '',
      (error: { stdout?: string }) => error.stdout ?? String(error),
    );
    expect(ok).toBe('');

    // The types are real: a status that does not exist and a wrong input are refused.
    await writeFile(path.join(installed, 'loop.ts'), `${loop}const wrong: 'pending' = report.status;\nawait lathe.trpc.dataset.get.query({ id: 42 });\n`);
    const refused = await run(TSC, ['-p', '.'], { cwd: installed }).then(
      () => '',
      (error: { stdout?: string }) => error.stdout ?? String(error),
    );
    expect(refused).toMatch(/loop\.ts\(14,7\): error TS2322/);
    expect(refused).toMatch(/loop\.ts\(15,\d+\): error TS2322/);
  });
});
