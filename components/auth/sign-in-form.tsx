'use client';

import { useState } from 'react';
import Link from 'next/link';
import { useRouter, useSearchParams } from 'next/navigation';
import { signIn } from 'next-auth/react';
import { useTranslations } from 'next-intl';
import { Alert, AlertDescription } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { FormField } from '@/components/ui/form-field';
import { Input } from '@/components/ui/input';
import { Separator } from '@/components/ui/separator';
import { sameOriginPath } from '@/lib/universal/same-origin-path';

export function SignInForm({ oauth }: { oauth: { github: boolean; google: boolean } }) {
  const t = useTranslations('auth');
  const router = useRouter();
  const params = useSearchParams();
  // Only a path on this origin: an open redirect after sign-in would be a phishing aid.
  const callbackUrl = sameOriginPath(params.get('callbackUrl')) ?? '/datasets';
  const refused = params.get('error');
  const [error, setError] = useState<string | null>(refused ? (t.has(`errors.refused.${refused}`) ? t(`errors.refused.${refused}`) : t('errors.generic')) : null);
  const [pending, setPending] = useState(false);

  async function onSubmit(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setPending(true);
    setError(null);
    const res = await signIn('credentials', { redirect: false, email: String(form.get('email')), password: String(form.get('password')) });
    setPending(false);
    if (!res || res.error) {
      const limited = /^RateLimited:(\d+)/.exec(res?.error ?? '');
      setError(limited ? t('errors.rateLimited', { minutes: Math.max(1, Math.ceil(Number(limited[1]) / 60)) }) : t('errors.wrongCredentials'));
      return;
    }
    router.push(callbackUrl);
    router.refresh();
  }

  return (
    <div className="grid gap-4">
      {(oauth.github || oauth.google) && (
        <div className="grid gap-2">
          {oauth.github && (
            <Button variant="outline" type="button" onClick={() => signIn('github', { callbackUrl })}>
              {t('signIn.github')}
            </Button>
          )}
          {oauth.google && (
            <Button variant="outline" type="button" onClick={() => signIn('google', { callbackUrl })}>
              {t('signIn.google')}
            </Button>
          )}
          <Separator className="my-2" />
        </div>
      )}
      <form onSubmit={onSubmit} className="grid gap-4" noValidate>
        {error && (
          <Alert variant="destructive" role="alert">
            <AlertDescription>{error}</AlertDescription>
          </Alert>
        )}
        <FormField label={t('fields.email')} required>
          <Input name="email" type="email" autoComplete="email" autoFocus required />
        </FormField>
        <FormField label={t('fields.password')} required>
          <Input name="password" type="password" autoComplete="current-password" required />
        </FormField>
        <div className="flex justify-end text-sm">
          <Link href="/forgot-password" className="text-muted-foreground hover:text-foreground underline-offset-4 hover:underline">
            {t('signIn.forgot')}
          </Link>
        </div>
        <Button type="submit" disabled={pending}>
          {pending ? t('signIn.pending') : t('signIn.submit')}
        </Button>
      </form>
    </div>
  );
}
