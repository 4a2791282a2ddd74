// Retry and Edit of a failed import on the real database: the same row goes back to REQUESTED
// with its audit entry, as it was or with another source and name; anything but a failed import,
// a taken name and another organization's row are refused. And who may import server paths.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDb } from '@/server/db';
import { tenantDb, type TenantContext } from '@/server/db/tenant';
import { stopBoss } from '@/server/queue/boss';
import { LatheError } from '@/server/services/errors';
import { createTestUser, type TestUser } from '@/tests/helpers/factories';
import { mayImportServerPaths } from './import-root';
import { retryModelImport } from './request-model-import';

let owner: TestUser;
let other: TestUser;
let tenant: TenantContext;
const unique = (prefix: string) => `${prefix}-${Math.random().toString(36).slice(2, 8)}`;

const tenantOf = (user: TestUser): TenantContext => {
  const scope = { organizationId: user.organization.id, projectId: user.project.id };
  return { db: tenantDb(scope), scope, actor: { userId: user.user.id } };
};

async function model(user: TestUser, status: 'FAILED' | 'READY', sourceRef = 'lathe/tiny-chta', name = unique('m')) {
  return getDb().baseModel.create({
    data: { organizationId: user.organization.id, projectId: user.project.id, name, source: 'HUGGING_FACE', sourceRef, status, error: status === 'FAILED' ? 'lathe/tiny-chta: not found on the Hub' : null, details: { revision: 'main' } },
  });
}

const refusal = (promise: Promise<unknown>) => promise.then(() => null, (error: unknown) => (error instanceof LatheError ? error.code : error));

beforeAll(async () => {
  owner = await createTestUser();
  other = await createTestUser();
  tenant = tenantOf(owner);
});

afterAll(async () => {
  await stopBoss();
});

describe('retryModelImport', () => {
  it('puts a failed import back to REQUESTED on the same row, with the same source and an audit entry', async () => {
    const failed = await model(owner, 'FAILED');
    const retried = await retryModelImport({ tenant, id: failed.id, enqueue: false });
    expect(retried).toMatchObject({ id: failed.id, name: failed.name, status: 'REQUESTED', error: null, sourceRef: 'lathe/tiny-chta', details: { revision: 'main' } });
    const audit = await getDb().auditLogEntry.findFirstOrThrow({ where: { targetId: failed.id, action: 'model.import.retry' } });
    expect(audit.organizationId).toBe(owner.organization.id);
  });

  it('takes an edited source and name', async () => {
    const failed = await model(owner, 'FAILED');
    const name = unique('fixed');
    const edited = await retryModelImport({ tenant, id: failed.id, name, source: { kind: 'hub', repo: 'lathe/tiny-chat' }, enqueue: false });
    expect(edited).toMatchObject({ id: failed.id, name, sourceRef: 'lathe/tiny-chat', status: 'REQUESTED' });
    expect(edited.details).toBeNull();
  });

  it('refuses what did not fail, a name another model has, and rows of another organization', async () => {
    const ready = await model(owner, 'READY');
    expect(await refusal(retryModelImport({ tenant, id: ready.id, enqueue: false }))).toBe('CONFLICT');
    const failed = await model(owner, 'FAILED');
    expect(await refusal(retryModelImport({ tenant, id: failed.id, name: ready.name, enqueue: false }))).toBe('CONFLICT');
    expect((await getDb().baseModel.findUniqueOrThrow({ where: { id: failed.id } })).status).toBe('FAILED');
    const theirs = await model(other, 'FAILED');
    expect(await refusal(retryModelImport({ tenant, id: theirs.id, enqueue: false }))).toBe('NOT_FOUND');
    expect((await getDb().baseModel.findUniqueOrThrow({ where: { id: theirs.id } })).status).toBe('FAILED');
  });
});

describe('mayImportServerPaths', () => {
  it('lets platform administrators import server paths, and everyone else only under LATHE_IMPORT_ROOT', () => {
    expect(mayImportServerPaths({ platformAdmin: true, env: {} })).toBe(true);
    expect(mayImportServerPaths({ platformAdmin: false, env: {} })).toBe(false);
    expect(mayImportServerPaths({ platformAdmin: false, env: { LATHE_IMPORT_ROOT: '  ' } })).toBe(false);
    expect(mayImportServerPaths({ platformAdmin: false, env: { LATHE_IMPORT_ROOT: '/srv/models' } })).toBe(true);
  });
});
