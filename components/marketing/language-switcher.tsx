import { Languages } from 'lucide-react';
import { getTranslations } from 'next-intl/server';
import { localeNames, locales, localizedPath, type Locale } from '@/i18n/locales';

/**
 * The language menu: plain links inside a disclosure, so it works without JavaScript and by
 * keyboard. Following one is a full page load, on which the proxy remembers the choice in the
 * locale cookie.
 */
export async function LanguageSwitcher({ locale, pathname, id, align = 'end' }: { locale: Locale; pathname: string; id: string; align?: 'start' | 'end' }) {
  const t = await getTranslations({ locale, namespace: 'site.switcher' });
  return (
    <details className="group relative" id={id}>
      <summary className="hover:bg-accent focus-visible:ring-ring flex cursor-pointer list-none items-center gap-1.5 rounded-md px-2 py-1.5 text-sm outline-none focus-visible:ring-2 [&::-webkit-details-marker]:hidden">
        <Languages aria-hidden className="size-4" />
        <span className="sr-only">{t('label')}: </span>
        <span>{localeNames[locale]}</span>
      </summary>
      <ul
        aria-label={t('label')}
        className={`bg-popover text-popover-foreground absolute z-20 mt-1 grid min-w-40 gap-0.5 rounded-md border p-1 shadow-md ${align === 'end' ? 'right-0' : 'left-0'} ${id.includes('footer') ? 'bottom-full mb-1' : ''}`}
      >
        {locales.map((l) => (
          <li key={l}>
            <a
              href={localizedPath(l, pathname)}
              hrefLang={l}
              lang={l}
              aria-current={l === locale ? 'true' : undefined}
              className="hover:bg-accent aria-[current]:bg-accent block rounded-sm px-2 py-1.5 text-sm aria-[current]:font-medium"
            >
              {localeNames[l]}
            </a>
          </li>
        ))}
      </ul>
    </details>
  );
}
