import { hash, verify } from '@node-rs/argon2';
import { LatheError } from '@/server/services/errors';

// argon2id with the library's defaults (19 MiB, t=2, p=1: OWASP's minimum recommendation).
export const hashPassword = (password: string) => hash(password);

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

const COMMON = new Set([
  'password', 'password1', 'password123', '1234567890', '12345678910', 'qwertyuiop', 'iloveyou12',
  'letmein123', 'welcome123', 'admin12345', 'changeme123', 'abcdefghij', 'qwerty12345', '1q2w3e4r5t',
]);

/** Returns why a password is too weak, or null when it is acceptable. */
export function passwordWeakness(password: string, email?: string): string | null {
  if (password.length < 10) return 'Use at least 10 characters.';
  if (password.length > 256) return 'Use at most 256 characters.';
  if (COMMON.has(password.toLowerCase())) return 'This password is too common; choose another.';
  if (new Set(password).size < 5) return 'Use more varied characters.';
  const classes = [/[a-z]/, /[A-Z]/, /\d/, /[^A-Za-z0-9]/].filter((re) => re.test(password)).length;
  if (password.length < 16 && classes < 2) return 'Mix letters with digits or symbols, or use 16 or more characters.';
  if (email && password.toLowerCase().includes(email.split('@')[0]!.toLowerCase()) && email.split('@')[0]!.length >= 4) {
    return 'Do not use your e-mail address in your password.';
  }
  return null;
}

export function assertStrongPassword(password: string, email?: string) {
  const weakness = passwordWeakness(password, email);
  if (weakness) throw new LatheError('BAD_REQUEST', weakness, { param: 'password', reason: 'weak_password' });
}
