import { createHash, randomBytes } from 'node:crypto';

export const sha256Hex = (value: string | Buffer) => createHash('sha256').update(value).digest('hex');

/** A random URL-safe secret and the hash stored in its place. */
export function newSecret(bytes = 32) {
  const token = randomBytes(bytes).toString('base64url');
  return { token, tokenHash: sha256Hex(token) };
}
