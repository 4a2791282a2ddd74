import { cache } from 'react';
import { cookies, headers } from 'next/headers';
import { getRequestConfig } from 'next-intl/server';
import { defaultLocale, isLocale, LOCALE_COOKIE, localeFromAcceptLanguage, type Locale } from './locales';
import { loadMessages, MISSING_MESSAGE_MARKER } from './messages';

export { defaultLocale, locales } from './locales';

/**
 * The dashboard's language, which has no locale in its URLs: the signed-in user's stored
 * preference, then the cookie the public site's switcher sets, then Accept-Language.
 */
const dashboardLocale = cache(async (): Promise<Locale> => {
  const { currentUserLocale } = await import('@/server/auth/current-user');
  const stored = await currentUserLocale();
  if (isLocale(stored)) return stored;
  const cookie = (await cookies()).get(LOCALE_COOKIE)?.value;
  if (isLocale(cookie)) return cookie;
  return localeFromAcceptLanguage((await headers()).get('accept-language')) ?? defaultLocale;
});

export default getRequestConfig(async ({ requestLocale, locale: explicit }) => {
  // Public pages pass their locale (from the [locale] segment) explicitly or through
  // setRequestLocale; neither reads request headers, which keeps those pages static.
  const routed = isLocale(explicit) ? explicit : await requestLocale;
  const locale = isLocale(routed) ? routed : await dashboardLocale();
  return {
    locale,
    messages: await loadMessages(locale),
    timeZone: 'UTC',
    onError(error) {
      // A missing message fails the build of the prerendered pages and, under
      // LATHE_STRICT_MESSAGES=1 (the tests), any page; otherwise it is logged and marked.
      if (process.env.NEXT_PHASE === 'phase-production-build' || process.env.LATHE_STRICT_MESSAGES === '1') throw error;
      console.error(error.message);
    },
    getMessageFallback: ({ namespace, key }) => `${MISSING_MESSAGE_MARKER}${namespace ? `${namespace}.` : ''}${key}`,
  };
});
