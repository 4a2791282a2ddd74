// Which `lathe` commands the end-user CLI answers. `login`, `datasets`, `jobs` and `chat` are always
// its own. `models` is shared with the operator group (which imports models into the database):
// `deploy` and `undeploy` are the end user's, and `list` is too when an API key is configured
// (LATHE_API_KEY or a `lathe login` profile); `--operator` keeps the operator's.
import { hasCredentials } from '@/cli/client/config';

const ALWAYS = new Set(['login', 'datasets', 'jobs', 'chat']);

export async function isClientCommand(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const [group, sub] = args;
  if (!group) return false;
  if (ALWAYS.has(group)) return true;
  if (group !== 'models' || args.includes('--operator')) return false;
  if (sub === 'deploy' || sub === 'undeploy') return true;
  return sub === 'list' && (await hasCredentials(env));
}
