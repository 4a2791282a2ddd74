import type { Locale } from '@/i18n/locales';
import { SiteFooter } from './site-footer';
import { SiteHeader } from './site-header';

/** A public page: header with navigation and language menu, the content, the footer. */
export function MarketingPage({ locale, pathname, children }: { locale: Locale; pathname: string; children: React.ReactNode }) {
  return (
    <div className="flex min-h-dvh flex-col">
      <SiteHeader locale={locale} pathname={pathname} />
      <main id="main" className="flex-1">
        {children}
      </main>
      <SiteFooter locale={locale} pathname={pathname} />
    </div>
  );
}

/** A page's heading block: its one h1 and the lead paragraph. */
export function PageIntro({ title, lead }: { title: string; lead: string }) {
  return (
    <div className="mx-auto max-w-3xl px-4 pt-16 pb-10 text-center sm:px-6">
      <h1 className="text-3xl font-semibold tracking-tight text-balance sm:text-5xl">{title}</h1>
      <p className="text-muted-foreground mt-4 text-lg text-pretty">{lead}</p>
    </div>
  );
}
