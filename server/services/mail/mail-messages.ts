import { createTranslator, type AbstractIntlMessages } from 'next-intl';
import { loadMessages } from '@/i18n/messages';
import { defaultLocale, isLocale } from '@/lib/universal/locales';

export type MailTranslator = (key: string, values?: Record<string, string>) => string;

/**
 * The mail texts (messages/<locale>/emails.json) in a user's stored language, English when none
 * is stored or it is not one Lathe speaks.
 */
export async function mailTranslator(locale: string | null | undefined): Promise<MailTranslator> {
  const lang = isLocale(locale) ? locale : defaultLocale;
  const messages = (await loadMessages(lang)) as AbstractIntlMessages;
  const t = createTranslator({ locale: lang, messages, namespace: 'emails' }) as unknown as (key: string, values?: Record<string, string>) => string;
  return (key, values) => t(key, values);
}
