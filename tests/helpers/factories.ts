// Test actors built through the real services, and tRPC callers acting as them.
import { randomBytes } from 'node:crypto';
import { getDb } from '@/server/db';
import { createCaller } from '@/server/api/root';
import type { Context } from '@/server/api/trpc';
import { createUser } from '@/server/services/users/create-user';
import { authenticateApiKey, createApiKey } from '@/server/services/api-keys/api-keys';
import { tenantDb } from '@/server/db/tenant';
import { readOutbox } from '@/server/services/mail/send-mail';

export const TEST_PASSWORD = 'correct-Horse-battery-9';

export async function createTestUser(opts: { admin?: boolean; email?: string } = {}) {
  const email = opts.email ?? `user-${randomBytes(4).toString('hex')}@example.test`;
  const { user, organization, project } = await createUser({ db: getDb(), email, password: TEST_PASSWORD, admin: opts.admin });
  return { user, organization, project, email };
}

export type TestUser = Awaited<ReturnType<typeof createTestUser>>;

export function contextFor(user: TestUser | null, extra: Partial<Context> = {}): Context {
  return {
    db: getDb(),
    session: user ? { userId: user.user.id, email: user.user.email, role: user.user.role, name: user.user.name } : null,
    apiKey: null,
    requestedProjectId: user?.project.id ?? null,
    baseUrl: 'http://localhost:3000',
    clientIp: '127.0.0.1',
    ...extra,
  };
}

export const callerFor = (user: TestUser | null, extra: Partial<Context> = {}) => createCaller(contextFor(user, extra));

export async function createTestKey(user: TestUser) {
  const scope = { organizationId: user.organization.id, projectId: user.project.id };
  const { key } = await createApiKey({ tenant: { db: tenantDb(scope), scope, actor: { userId: user.user.id } }, name: 'test' });
  return key;
}

export async function callerForKey(key: string) {
  const principal = await authenticateApiKey({ db: getDb(), secret: key });
  if (!principal) throw new Error('test key did not authenticate');
  return createCaller({ ...contextFor(null), apiKey: principal, requestedProjectId: null });
}

/** Invites `member` into `owner`'s organization and accepts; returns the new membership's id. */
export async function joinOrganization(owner: TestUser, member: TestUser, role: 'ADMIN' | 'MEMBER') {
  await callerFor(owner).organization.invite({ email: member.email, role });
  const token = /invite\/([\w-]+)/.exec(readOutbox(member.email)[0]!.text)![1]!;
  await callerFor(member).auth.acceptInvitation({ token });
  const membership = await getDb().membership.findUniqueOrThrow({ where: { userId_organizationId: { userId: member.user.id, organizationId: owner.organization.id } } });
  return membership.id;
}
