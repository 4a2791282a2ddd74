import fs from 'node:fs/promises';
import path from 'node:path';
import type { Locale } from './locales';

type Messages = Record<string, unknown>;

/** What a page shows in place of a message it lacks; the site tests look for it. */
export const MISSING_MESSAGE_MARKER = 'MISSING_MESSAGE:';

// Messages are split by namespace, one file each (messages/<locale>/<namespace>.json), so
// features own their strings without editing one shared file.
async function readLocale(locale: string): Promise<Messages> {
  const dir = path.join(/*turbopackIgnore: true*/ process.cwd(), 'messages', locale);
  let files: string[] = [];
  try {
    files = (await fs.readdir(dir)).filter((f) => f.endsWith('.json'));
  } catch {
    return {};
  }
  const entries = await Promise.all(files.map(async (f) => [f.replace(/\.json$/, ''), JSON.parse(await fs.readFile(path.join(dir, f), 'utf8'))] as const));
  return Object.fromEntries(entries);
}

function merge(base: Messages, over: Messages): Messages {
  const out: Messages = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const prior = out[key];
    out[key] = prior && typeof prior === 'object' && value && typeof value === 'object' ? merge(prior as Messages, value as Messages) : value;
  }
  return out;
}

const cache = new Map<string, Promise<Messages>>();

/**
 * A locale's messages over the English ones. The translation check (tests) keeps every locale
 * complete; the English underlay only covers namespaces still listed as pending there, so a
 * dashboard page never shows a raw key while its translation is on the way.
 */
export function loadMessages(locale: Locale): Promise<Messages> {
  let messages = cache.get(locale);
  if (!messages) {
    messages = locale === 'en' ? readLocale('en') : Promise.all([readLocale('en'), readLocale(locale)]).then(([en, own]) => merge(en, own));
    if (process.env.NODE_ENV === 'production') cache.set(locale, messages);
  }
  return messages;
}
