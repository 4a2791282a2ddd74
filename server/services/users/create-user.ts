import { isUniqueViolation } from '@/server/db/errors';
import type { Db } from '@/server/db';
import { LatheError } from '@/server/services/errors';
import { assertStrongPassword, hashPassword } from '@/server/services/auth/password';
import { recordAudit, type AuditActor } from '@/server/services/audit/record-audit';
import { ADMIN_EMAIL, normalizeEmail } from '@/server/services/auth/email';
import { uniqueSlug } from '@/server/services/orgs/slug';

export type CreateUserOptions = {
  db: Db;
  email: string;
  password?: string | null;
  name?: string | null;
  /** Creates a platform administrator; only the CLI and the admin-token sign-in pass it. */
  admin?: boolean;
  /** When the address was verified, for sign-ins whose provider vouches for it. */
  emailVerified?: Date | null;
  actor?: AuditActor;
};

/** Creates a user with a personal organization (they own it) and its default project. */
export async function createUser({ db, email, password, name, admin = false, emailVerified = null, actor }: CreateUserOptions) {
  const normalized = normalizeEmail(email);
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(normalized)) {
    throw new LatheError('BAD_REQUEST', 'Enter a valid e-mail address.', { param: 'email', reason: 'invalid_email' });
  }
  if (normalized === ADMIN_EMAIL && !admin) {
    throw new LatheError('BAD_REQUEST', `${ADMIN_EMAIL} is reserved for the platform administrator. Use your own address.`, { param: 'email', reason: 'reserved_email' });
  }
  if (password != null) assertStrongPassword(password, normalized);
  const passwordHash = password != null ? await hashPassword(password) : null;
  const displayName = name?.trim() || normalized.split('@')[0]!;
  try {
    return await db.$transaction(async (tx) => {
      const user = await tx.user.create({
        data: { email: normalized, name: displayName, passwordHash, role: admin ? 'ADMIN' : 'USER', emailVerified },
      });
      const organization = await tx.organization.create({
        data: { name: `${displayName}'s organization`, slug: uniqueSlug(displayName), personal: true },
      });
      await tx.membership.create({ data: { userId: user.id, organizationId: organization.id, role: 'OWNER' } });
      const project = await tx.project.create({
        data: { organizationId: organization.id, name: 'Default project', slug: 'default' },
      });
      await recordAudit(tx, {
        organizationId: organization.id,
        actor: actor ?? { userId: user.id },
        action: 'user.create',
        targetType: 'User',
        targetId: user.id,
        data: { email: normalized, role: user.role, organizationId: organization.id, projectId: project.id },
      });
      return { user, organization, project };
    });
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new LatheError('CONFLICT', 'An account with this e-mail already exists. Sign in instead.', {
        param: 'email',
        reason: 'email_taken',
      });
    }
    throw error;
  }
}
