// The real `lathe` CLI in a child process, for benchmarks that set up a platform as an operator
// would: import a base model, create a user with an API key and credits.
import { spawn } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

/** Runs `lathe <args>` with `env`; resolves its trimmed stdout, rejects with the end of stderr. */
export function lathe(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/lathe.mjs'), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`lathe ${args.join(' ')} failed (${code}): ${err.slice(-2000)}`))));
  });
}

/** Creates a user with 100,000 credits through the CLI; returns its new API key. */
export async function benchUserKey(email: string, env: NodeJS.ProcessEnv): Promise<string> {
  await lathe(['user', 'create', '--email', email, '--password', 'Quiet-harbour-lantern-42'], env);
  const apiKey = (await lathe(['key', 'create', '--email', email], env)).split('\n').at(-1)!.trim();
  await lathe(['credits', 'grant', '--email', email, '--amount', '100000'], env);
  return apiKey;
}
