// Secrets Lathe keeps for organizations (their Hugging Face tokens), encrypted at rest with
// AES-256-GCM. The key comes from LATHE_SECRET_KEY (AUTH_SECRET when unset); keys being rotated
// out stay readable through LATHE_SECRET_KEY_PREVIOUS until `lathe secrets rotate` has rewritten
// every secret under the current key. Each ciphertext names the key it was made with and is bound
// to what it belongs to (its `context`), so a row copied elsewhere does not decrypt.
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';

type Env = Record<string, string | undefined>;
type SecretKey = { id: string; key: Buffer };

const VERSION = 'v1';
const MIN_SECRET_LENGTH = 32;

function deriveKey(material: string): SecretKey {
  const key = Buffer.from(hkdfSync('sha256', material, 'lathe', 'lathe secrets v1', 32));
  return { id: createHash('sha256').update(key).digest('hex').slice(0, 12), key };
}

/** The current key first, then the previous ones; an error names the variable to set. */
export function secretKeys(env: Env = process.env): SecretKey[] {
  const current = env.LATHE_SECRET_KEY?.trim() || env.AUTH_SECRET?.trim();
  if (!current || current.length < MIN_SECRET_LENGTH) {
    throw new Error(`Set LATHE_SECRET_KEY (at least ${MIN_SECRET_LENGTH} characters, e.g. \`openssl rand -hex 32\`) to store organization secrets.`);
  }
  const previous = (env.LATHE_SECRET_KEY_PREVIOUS ?? '')
    .split(',')
    .map((value) => value.trim())
    .filter(Boolean);
  return [current, ...previous].map(deriveKey);
}

export class SecretUnreadableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretUnreadableError';
  }
}

export function encryptSecret(plaintext: string, context: string, env: Env = process.env): string {
  const [{ id, key }] = secretKeys(env) as [SecretKey];
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(context));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [VERSION, id, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
}

export function decryptSecret(ciphertext: string, context: string, env: Env = process.env): string {
  const [version, id, iv, tag, body] = ciphertext.split('.');
  if (version !== VERSION || !id || !iv || !tag || body === undefined) throw new SecretUnreadableError('The stored secret is not in a format this version of Lathe reads.');
  const match = secretKeys(env).find((candidate) => candidate.id === id);
  if (!match) {
    throw new SecretUnreadableError('The stored secret was encrypted with a key this server no longer has: put that key in LATHE_SECRET_KEY_PREVIOUS, or store the secret again.');
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', match.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    throw new SecretUnreadableError('The stored secret does not decrypt: it was altered or belongs to something else. Store it again.');
  }
}

/** True when the secret was made with a key other than the current one (rotation rewrites it). */
export function isUnderOldKey(ciphertext: string, env: Env = process.env): boolean {
  return ciphertext.split('.')[1] !== secretKeys(env)[0]!.id;
}
