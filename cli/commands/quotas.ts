import type { Command } from 'commander';
import { CliError, homeProject, userByEmail, withDatabase } from '@/cli/context';
import type { Db } from '@/server/db';
import { formatBytes } from '@/lib/universal/format-bytes';
import { getOrganizationQuotas, QUOTA_KEYS, QUOTA_SETTINGS, setOrganizationQuotas, type OrganizationQuotas, type QuotaKey, type TQuotaOverrides } from '@/server/services/quotas/manage-quotas';

type Target = { org?: string; email?: string };

const OPTION: Record<QuotaKey, string> = {
  concurrentDeployments: 'concurrent-deployments',
  concurrentJobs: 'concurrent-jobs',
  storageBytes: 'storage-bytes',
  importsPerDay: 'imports-per-day',
};

export function registerQuotaCommands(program: Command) {
  const quotas = program.command('quotas').description("an organization's limits: deployments, jobs, storage, imports per day");
  quotas
    .command('show')
    .description("print an organization's limits, where each comes from, and its usage")
    .option('--org <id>', 'the organization (its id)')
    .option('--email <email>', "the user's personal organization instead")
    .option('--json', 'print JSON')
    .action(async (opts: Target & { json?: boolean }) => {
      await withDatabase(async (db) => {
        const quotas = await getOrganizationQuotas({ db, organizationId: await organizationOf(db, opts) });
        console.log(opts.json ? JSON.stringify(quotas, null, 2) : describe(quotas));
      });
    });

  const set = quotas
    .command('set')
    .description("set an organization's limits; 'default' returns one to its LATHE_QUOTA_* default")
    .option('--org <id>', 'the organization (its id)')
    .option('--email <email>', "the user's personal organization instead");
  for (const key of QUOTA_KEYS) set.option(`--${OPTION[key]} <n>`, `a whole number, or 'default' (${QUOTA_SETTINGS[key].env})`);
  set.action(async (opts: Target & Partial<Record<string, string>>) => {
    const overrides: TQuotaOverrides = {};
    for (const key of QUOTA_KEYS) {
      const raw = opts[key];
      if (raw === undefined) continue;
      if (raw === 'default') overrides[key] = null;
      else if (/^\d+$/.test(raw) && Number.isSafeInteger(Number(raw))) overrides[key] = Number(raw);
      else throw new CliError(`--${OPTION[key]} must be a whole number or 'default', got "${raw}"`);
    }
    if (Object.keys(overrides).length === 0) throw new CliError(`give at least one limit: ${QUOTA_KEYS.map((k) => `--${OPTION[k]}`).join(', ')}`);
    await withDatabase(async (db) => {
      const quotas = await setOrganizationQuotas({ db, organizationId: await organizationOf(db, opts), overrides, actor: { userId: null } });
      console.log(describe(quotas));
    });
  });
}

async function organizationOf(db: Db, { org, email }: Target): Promise<string> {
  if (Boolean(org) === Boolean(email)) throw new CliError('name the organization with either --org ID or --email EMAIL');
  if (org) return org;
  return (await homeProject(db, (await userByEmail(db, email!)).id)).organizationId;
}

function describe(quotas: OrganizationQuotas): string {
  const show = (key: QuotaKey, n: number) => (key === 'storageBytes' ? formatBytes(n) : String(n));
  const lines = QUOTA_KEYS.map((key) => {
    const source = key in quotas.overrides ? 'set for this organization' : `default, ${QUOTA_SETTINGS[key].env}`;
    return `  ${OPTION[key].padEnd(24)} ${show(key, quotas.usage[key]).padStart(9)} of ${show(key, quotas.limits[key])} (${source})`;
  });
  return [`organization ${quotas.organizationId}: used of limit`, ...lines].join('\n');
}
