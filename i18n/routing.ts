import { defineRouting } from 'next-intl/routing';
import { defaultLocale, LOCALE_COOKIE, locales } from './locales';

// The public site's routing: English at /, the other languages under /<locale>. The dashboard
// keeps unprefixed URLs and is not routed by locale (see i18n/request.ts).
export const routing = defineRouting({
  locales,
  defaultLocale,
  localePrefix: 'as-needed',
  localeCookie: { name: LOCALE_COOKIE, maxAge: 60 * 60 * 24 * 365, sameSite: 'lax' },
  // hreflang alternates are written into each page's metadata instead, with canonical URLs.
  alternateLinks: false,
});
