import { spawn } from 'node:child_process';
import path from 'node:path';

export type CliResult = { code: number; stdout: string; stderr: string };

/** Runs the real `lathe` binary in a child process. */
export function runLathe(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.resolve('bin/lathe.mjs'), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

export const lastLine = (text: string) => text.trim().split('\n').at(-1) ?? '';
