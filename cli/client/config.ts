// Profiles of the end-user CLI: an API key and a base URL per profile in
// ~/.config/lathe/config.json (XDG_CONFIG_HOME honoured), written with mode 0600 because it holds
// keys. LATHE_API_KEY and LATHE_BASE_URL override what a profile says.
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface Profile {
  apiKey: string;
  baseUrl: string;
}

export interface ClientConfig {
  defaultProfile: string;
  profiles: Record<string, Profile>;
}

export const DEFAULT_BASE_URL = 'http://localhost:3000';

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), '.config');
  return path.join(base, 'lathe', 'config.json');
}

export async function readConfig(file = configPath()): Promise<ClientConfig> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<ClientConfig>;
    return { defaultProfile: parsed.defaultProfile ?? 'default', profiles: parsed.profiles ?? {} };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { defaultProfile: 'default', profiles: {} };
    throw new Error(`${file} is not valid JSON; fix or delete it and run \`lathe login\` again.`);
  }
}

export async function writeConfig(config: ClientConfig, file = configPath()): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, file);
}

/** The credentials a command runs with: the environment over the named (or default) profile. */
export async function resolveCredentials(profileName: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<{ apiKey: string | undefined; baseUrl: string; profile: string }> {
  const config = await readConfig(configPath(env));
  const name = profileName ?? env.LATHE_PROFILE ?? config.defaultProfile;
  const profile = config.profiles[name];
  return { apiKey: env.LATHE_API_KEY || profile?.apiKey, baseUrl: env.LATHE_BASE_URL || profile?.baseUrl || DEFAULT_BASE_URL, profile: name };
}

/** Whether this user has end-user credentials at all (a key in the environment or a saved profile). */
export async function hasCredentials(env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  if (env.LATHE_API_KEY) return true;
  const config = await readConfig(configPath(env)).catch(() => null);
  return Boolean(config && Object.keys(config.profiles).length > 0);
}
