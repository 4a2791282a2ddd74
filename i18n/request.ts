import fs from 'node:fs/promises';
import path from 'node:path';
import { getRequestConfig } from 'next-intl/server';

export const locales = ['en'] as const;
export const defaultLocale = 'en';

// Messages are split by namespace, one file each (messages/<locale>/<namespace>.json), so
// features own their strings without editing one shared file.
async function loadMessages(locale: string) {
  const dir = path.join(process.cwd(), 'messages', locale);
  const files = (await fs.readdir(dir)).filter((f) => f.endsWith('.json'));
  const entries = await Promise.all(files.map(async (f) => [f.replace(/\.json$/, ''), JSON.parse(await fs.readFile(path.join(dir, f), 'utf8'))] as const));
  return Object.fromEntries(entries);
}

export default getRequestConfig(async () => ({
  locale: defaultLocale,
  messages: await loadMessages(defaultLocale),
  timeZone: 'UTC',
}));
