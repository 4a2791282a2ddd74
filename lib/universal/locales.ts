// The languages Lathe speaks. Browser-safe: the proxy, the switcher, the sitemap and the
// translation check read this one list.
export const locales = ['en', 'de', 'es', 'fr', 'it', 'ja', 'nl', 'pl', 'pt'] as const;
export type Locale = (typeof locales)[number];
export const defaultLocale: Locale = 'en';

/** Each language's name in itself, for the switcher. */
export const localeNames: Record<Locale, string> = {
  en: 'English',
  de: 'Deutsch',
  es: 'Español',
  fr: 'Français',
  it: 'Italiano',
  ja: '日本語',
  nl: 'Nederlands',
  pl: 'Polski',
  pt: 'Português',
};

/** The cookie that remembers a visitor's language (set by the proxy when they pick one). */
export const LOCALE_COOKIE = 'NEXT_LOCALE';

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (locales as readonly string[]).includes(value);
}

/** The path of a public page in a locale: English unprefixed, the others under /<locale>. */
export function localizedPath(locale: Locale, pathname: string): string {
  const clean = pathname === '/' ? '' : pathname;
  return locale === defaultLocale ? clean || '/' : `/${locale}${clean}`;
}

/**
 * The best supported locale for an Accept-Language header (quality-ordered, region stripped
 * when the full tag is not supported); null when none matches.
 */
export function localeFromAcceptLanguage(header: string | null | undefined): Locale | null {
  if (!header) return null;
  const ranked = header
    .split(',')
    .map((part, index) => {
      const [tag, ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      const quality = q ? Number(q.slice(2)) : 1;
      return { tag: tag!.trim().toLowerCase(), quality: Number.isFinite(quality) ? quality : 0, index };
    })
    .filter((entry) => entry.tag && entry.quality > 0)
    .sort((a, b) => b.quality - a.quality || a.index - b.index);
  for (const { tag } of ranked) {
    const base = tag.split('-')[0];
    if (isLocale(tag)) return tag;
    if (isLocale(base)) return base;
  }
  return null;
}
