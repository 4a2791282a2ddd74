// The real web process on the test database, started once per test file that needs HTTP.
import { startPlatform, type Platform } from '@/scripts/lib/supervisor';

export async function startWeb(env: Record<string, string> = {}): Promise<Platform> {
  const lines: string[] = [];
  try {
    return await startPlatform({ processes: ['web'], port: 0, env: { LOG_LEVEL: 'warn', ...env }, log: (l) => lines.push(l) });
  } catch (error) {
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${lines.slice(-40).join('\n')}`);
  }
}
