import { hash, verify } from '@node-rs/argon2';
import { LatheError } from '@/server/services/errors';
import { passwordProblem, SIGN_UP_SENTENCES } from '@/lib/universal/sign-up';

// argon2id with the library's defaults (19 MiB, t=2, p=1: OWASP's minimum recommendation).
export const hashPassword = (password: string) => hash(password);

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

/** Returns why a password is too weak (a sentence), or null when it is acceptable. */
export function passwordWeakness(password: string, email?: string): string | null {
  const problem = passwordProblem(password, email);
  return problem ? SIGN_UP_SENTENCES[problem] : null;
}

export function assertStrongPassword(password: string, email?: string) {
  const weakness = passwordWeakness(password, email);
  if (weakness) throw new LatheError('BAD_REQUEST', weakness, { param: 'password', reason: 'weak_password' });
}
