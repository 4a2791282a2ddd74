'use client';

import { useState } from 'react';
import Link from 'next/link';
import { useMutation } from '@tanstack/react-query';
import { useTranslations } from 'next-intl';
import { Alert, AlertDescription } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { FormField } from '@/components/ui/form-field';
import { Input } from '@/components/ui/input';
import { useTRPC } from '@/lib/trpc/client';
import { fieldErrors } from '@/components/auth/field-errors';

export function ForgotPasswordForm() {
  const t = useTranslations('auth');
  const trpc = useTRPC();
  const request = useMutation(trpc.auth.requestPasswordReset.mutationOptions());
  const [error, setError] = useState<string | null>(null);
  if (request.isSuccess) {
    return (
      <Alert role="status">
        <AlertDescription>{t('forgot.sent')}</AlertDescription>
      </Alert>
    );
  }
  return (
    <form
      className="grid gap-4"
      noValidate
      onSubmit={async (e) => {
        e.preventDefault();
        setError(null);
        try {
          await request.mutateAsync({ email: String(new FormData(e.currentTarget).get('email')) });
        } catch (err) {
          setError(Object.values(fieldErrors(err, t('errors.generic')))[0] ?? null);
        }
      }}
    >
      {error && (
        <Alert variant="destructive" role="alert">
          <AlertDescription>{error}</AlertDescription>
        </Alert>
      )}
      <FormField label={t('fields.email')} required>
        <Input name="email" type="email" autoComplete="email" autoFocus required />
      </FormField>
      <Button type="submit" disabled={request.isPending}>
        {t('forgot.submit')}
      </Button>
    </form>
  );
}

export function ResetPasswordForm({ token }: { token: string }) {
  const t = useTranslations('auth');
  const trpc = useTRPC();
  const reset = useMutation(trpc.auth.resetPassword.mutationOptions());
  const [errors, setErrors] = useState<Record<string, string>>({});
  if (reset.isSuccess) {
    return (
      <Alert role="status">
        <AlertDescription>
          {t('reset.done')}{' '}
          <Link href="/sign-in" className="underline">
            {t('signIn.title')}
          </Link>
        </AlertDescription>
      </Alert>
    );
  }
  return (
    <form
      className="grid gap-4"
      noValidate
      onSubmit={async (e) => {
        e.preventDefault();
        const form = new FormData(e.currentTarget);
        if (form.get('password') !== form.get('confirm')) return setErrors({ confirm: t('errors.passwordsDiffer') });
        setErrors({});
        try {
          await reset.mutateAsync({ token, password: String(form.get('password')) });
        } catch (err) {
          setErrors(fieldErrors(err, t('errors.generic')));
        }
      }}
    >
      {errors.form && (
        <Alert variant="destructive" role="alert">
          <AlertDescription>{errors.form}</AlertDescription>
        </Alert>
      )}
      <FormField label={t('fields.newPassword')} required error={errors.password} description={t('signUp.passwordHint')}>
        <Input name="password" type="password" autoComplete="new-password" autoFocus required />
      </FormField>
      <FormField label={t('fields.confirmPassword')} required error={errors.confirm}>
        <Input name="confirm" type="password" autoComplete="new-password" required />
      </FormField>
      <Button type="submit" disabled={reset.isPending}>
        {t('reset.submit')}
      </Button>
    </form>
  );
}
