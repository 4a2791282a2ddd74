import { randomBytes } from 'node:crypto';

export function slugify(text: string, fallback = 'org') {
  const base = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
  return base || fallback;
}

export const uniqueSlug = (text: string) => `${slugify(text)}-${randomBytes(3).toString('hex')}`;
