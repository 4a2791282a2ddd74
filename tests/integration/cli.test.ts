import { describe, expect, it } from 'vitest';
import { getDb } from '@/server/db';
import { authenticateApiKey } from '@/server/services/api-keys/api-keys';
import { getBalance } from '@/server/services/credits/credits';
import { lastLine, runLathe } from '@/tests/helpers/cli';
import { createTestUser } from '@/tests/helpers/factories';

describe('lathe CLI', () => {
  it('creates a user, a key printed alone on the last line, and grants credits', async () => {
    const email = `cli-${Date.now()}@example.test`;
    const created = await runLathe(['user', 'create', '--email', email, '--password', 'cli-Good-pass-42', '--name', 'Cli']);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const key = await runLathe(['key', 'create', '--email', email, '--name', 'from-cli']);
    expect(key.code).toBe(0);
    const secret = lastLine(key.stdout);
    const principal = await authenticateApiKey({ db: getDb(), secret });
    expect(principal).not.toBeNull();
    const grant = await runLathe(['credits', 'grant', '--email', email, '--amount', '125.5']);
    expect(grant.code).toBe(0);
    expect(await getBalance({ db: getDb(), organizationId: principal!.organizationId })).toBe('125.5');
  });

  it('says what is wrong and exits non-zero on bad arguments', async () => {
    const missing = await runLathe(['user', 'create', '--email', 'a@b.test']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/--password/);
    const unknownUser = await runLathe(['key', 'create', '--email', 'nobody@example.test']);
    expect(unknownUser.code).toBe(1);
    expect(unknownUser.stderr).toMatch(/No user with e-mail nobody@example.test/);
    const badAmount = await runLathe(['credits', 'grant', '--email', 'a@b.test', '--amount', '-3']);
    expect(badAmount.code).toBe(1);
    expect(badAmount.stderr).toMatch(/positive number/);
    const weak = await runLathe(['user', 'create', '--email', `w-${Date.now()}@example.test`, '--password', 'short']);
    expect(weak.code).toBe(1);
    expect(weak.stderr).toMatch(/at least 10 characters/);
  });

  it('deletes a user, which frees an address such as the administrator\'s held by a non-admin', async () => {
    const squatter = await getDb().user.create({ data: { email: `cli-delete-${Date.now()}@example.test` } });
    const deleted = await runLathe(['user', 'delete', '--email', squatter.email]);
    expect(deleted.stderr).toBe('');
    expect(deleted.code).toBe(0);
    expect(await getDb().user.findUnique({ where: { id: squatter.id } })).toBeNull();
    const again = await runLathe(['user', 'delete', '--email', squatter.email]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/No user with e-mail/);
  });

  it("sets an organization's limits and shows each one's source and usage", async () => {
    const { email } = await createTestUser();
    const set = await runLathe(['quotas', 'set', '--email', email, '--concurrent-jobs', '9', '--storage-bytes', '2147483648']);
    expect(set.stderr).toBe('');
    expect(set.stdout).toMatch(/concurrent-jobs\s+0 of 9 \(set for this organization\)/);
    expect(set.stdout).toMatch(/storage-bytes\s+0 bytes of 2 GiB \(set for this organization\)/);
    const reset = await runLathe(['quotas', 'set', '--email', email, '--concurrent-jobs', 'default']);
    expect(reset.stdout).toMatch(/concurrent-jobs\s+0 of \d+ \(default, LATHE_QUOTA_CONCURRENT_JOBS\)/);
    expect(reset.stdout).toMatch(/storage-bytes\s+0 bytes of 2 GiB \(set for this organization\)/);
  });

  it('applies migrations idempotently', async () => {
    const res = await runLathe(['db', 'migrate']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/up to date/);
  });
});
