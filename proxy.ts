import createMiddleware from 'next-intl/middleware';
import { routing } from '@/i18n/routing';

// Locale routing for the public site only: a first visit to an unprefixed page goes to the
// language of Accept-Language (or the remembered cookie), /de/... serves German, and so on. The
// dashboard, the APIs and /docs are not matched and keep their URLs.
export default createMiddleware(routing);

export const config = {
  matcher: ['/', '/(de|en|es|fr|it|ja|nl|pl|pt)/:path*', '/(pricing|self-hosting|security|blog|imprint|terms|privacy)/:path*'],
};
