// Profiles: written 0600, the environment overrides them, and which commands the end-user side answers.
import { mkdtemp, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configPath, readConfig, resolveCredentials, writeConfig } from '@/cli/client/config';
import { isClientCommand } from '@/cli/client/dispatch';
import { progressBar, trainingPanel, validationReport } from '@/cli/client/render';

describe('end-user CLI profiles', () => {
  it('stores profiles with mode 0600 and lets LATHE_API_KEY and LATHE_BASE_URL override them', async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), 'lathe-cfg-'));
    const env = { HOME: home } as unknown as NodeJS.ProcessEnv;
    const file = configPath(env);
    expect(file).toBe(path.join(home, '.config/lathe/config.json'));
    await writeConfig({ defaultProfile: 'default', profiles: { default: { apiKey: 'lk_a', baseUrl: 'http://a' }, other: { apiKey: 'lk_b', baseUrl: 'http://b' } } }, file);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await readConfig(file)).profiles.other!.apiKey).toBe('lk_b');
    expect(await resolveCredentials(undefined, env)).toEqual({ apiKey: 'lk_a', baseUrl: 'http://a', profile: 'default' });
    expect(await resolveCredentials('other', env)).toEqual({ apiKey: 'lk_b', baseUrl: 'http://b', profile: 'other' });
    expect(await resolveCredentials('other', { ...env, LATHE_API_KEY: 'lk_env', LATHE_BASE_URL: 'http://env' })).toMatchObject({ apiKey: 'lk_env', baseUrl: 'http://env' });
  });

  it('answers its own command groups and leaves the operator ones alone', async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), 'lathe-cfg-'));
    const none = { HOME: home } as unknown as NodeJS.ProcessEnv;
    for (const args of [['login'], ['datasets', 'upload', 'f'], ['jobs', 'list'], ['chat', 'm'], ['models', 'deploy', 'm']]) expect(await isClientCommand(args, none), args.join(' ')).toBe(true);
    for (const args of [['user', 'create'], ['models', 'import', 'x'], ['models', 'list'], ['db', 'migrate'], []]) expect(await isClientCommand(args, none), args.join(' ')).toBe(false);
    expect(await isClientCommand(['models', 'list'], { ...none, LATHE_API_KEY: 'lk_x' })).toBe(true);
    expect(await isClientCommand(['models', 'list', '--operator'], { ...none, LATHE_API_KEY: 'lk_x' })).toBe(false);
  });

  it('draws the progress bar, the chart panel and the report with line numbers', () => {
    expect(progressBar(0.5, 10)).toBe('[#####-----]  50%');
    const panel = trainingPanel({ status: 'running', losses: [3, 2.5, 2, 1.8], step: 4, totalSteps: 8, etaSeconds: 75, costSoFar: '0.50', estimatedCost: '1.00', lastMessage: 'Step 4/8' }, 80);
    expect(panel).toMatch(/[┼┤]/);
    expect(panel).toContain('step 4/8  ETA 1m 15s  cost so far 0.50 of ~1.00 credits');
    const report = validationReport({ status: 'invalid', examples: 2, errors: 1, warnings: 0, error: null, findings: [{ line: 2, code: 'invalid_role', severity: 'error', message: 'bad role', field: 'messages[0].role' }] });
    expect(report).toContain('line 2: error invalid_role (messages[0].role): bad role');
  });
});
