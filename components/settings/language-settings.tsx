'use client';

import { useId } from 'react';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useTranslations } from 'next-intl';
import { toast } from 'sonner';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { localeNames, locales, type Locale } from '@/lib/universal/locales';
import { useTRPC } from '@/lib/trpc/client';

/** The user's language for the dashboard and for mails; "browser" clears the stored choice. */
export function LanguageSettings() {
  const t = useTranslations('languageSettings');
  const trpc = useTRPC();
  const id = useId();
  const me = useQuery(trpc.account.me.queryOptions());
  const setLocale = useMutation(
    trpc.account.setLocale.mutationOptions({
      // Every message on the page comes from the server in the old language: load it again.
      onSuccess: () => window.location.reload(),
      onError: (e) => toast.error(e.message),
    }),
  );
  return (
    <Card className="max-w-2xl">
      <CardHeader>
        <CardTitle>
          <label htmlFor={id}>{t('title')}</label>
        </CardTitle>
        <CardDescription>{t('description')}</CardDescription>
      </CardHeader>
      <CardContent className="py-4">
        <select
          id={id}
          className="border-input bg-background focus-visible:ring-ring h-9 w-full max-w-xs rounded-md border px-3 text-sm outline-none focus-visible:ring-2"
          value={me.data?.locale ?? ''}
          disabled={!me.data || setLocale.isPending}
          onChange={(e) => setLocale.mutate({ locale: (e.target.value || null) as Locale | null })}
        >
          <option value="">{t('browser')}</option>
          {locales.map((l) => (
            <option key={l} value={l} lang={l}>
              {localeNames[l]}
            </option>
          ))}
        </select>
      </CardContent>
    </Card>
  );
}
