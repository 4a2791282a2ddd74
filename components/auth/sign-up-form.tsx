'use client';

import { useState } from 'react';
import { useRouter } from 'next/navigation';
import { signIn } from 'next-auth/react';
import { useMutation } from '@tanstack/react-query';
import { useTranslations } from 'next-intl';
import { Alert, AlertDescription } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { FormField } from '@/components/ui/form-field';
import { Input } from '@/components/ui/input';
import { useTRPC } from '@/lib/trpc/client';
import { fieldErrors } from '@/components/auth/field-errors';
import { signUpProblems } from '@/lib/universal/sign-up';

export function SignUpForm() {
  const t = useTranslations('auth');
  const trpc = useTRPC();
  const router = useRouter();
  const [errors, setErrors] = useState<Record<string, string>>({});
  const signUp = useMutation(trpc.auth.signUp.mutationOptions());

  async function onSubmit(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const email = String(form.get('email') ?? '');
    const password = String(form.get('password') ?? '');
    // The server's own rules, checked here first: every field error is a sentence, shown at once.
    const problems = signUpProblems({ email, password, confirm: String(form.get('confirm') ?? ''), name: String(form.get('name') ?? '') });
    if (Object.keys(problems).length > 0) {
      setErrors(Object.fromEntries(Object.entries(problems).map(([field, code]) => [field, t(`errors.fields.${code}`)])));
      return;
    }
    setErrors({});
    try {
      await signUp.mutateAsync({ email, password, name: String(form.get('name') || '') || undefined });
    } catch (error) {
      setErrors(fieldErrors(error, t('errors.generic')));
      return;
    }
    const res = await signIn('credentials', { redirect: false, email, password });
    if (res?.error) {
      router.push('/sign-in');
      return;
    }
    router.push('/datasets');
    router.refresh();
  }

  return (
    <form onSubmit={onSubmit} className="grid gap-4" noValidate>
      {errors.form && (
        <Alert variant="destructive" role="alert">
          <AlertDescription>{errors.form}</AlertDescription>
        </Alert>
      )}
      <FormField label={t('fields.name')} error={errors.name}>
        <Input name="name" autoComplete="name" autoFocus />
      </FormField>
      <FormField label={t('fields.email')} required error={errors.email}>
        <Input name="email" type="email" autoComplete="email" required />
      </FormField>
      <FormField label={t('fields.password')} required description={t('signUp.passwordHint')} error={errors.password}>
        <Input name="password" type="password" autoComplete="new-password" required />
      </FormField>
      <FormField label={t('fields.confirmPassword')} required error={errors.confirm}>
        <Input name="confirm" type="password" autoComplete="new-password" required />
      </FormField>
      <Button type="submit" disabled={signUp.isPending}>
        {signUp.isPending ? t('signUp.pending') : t('signUp.submit')}
      </Button>
    </form>
  );
}
