'use client';

import { useState } from 'react';
import { signOut } from 'next-auth/react';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useTranslations } from 'next-intl';
import { toast } from 'sonner';
import { Alert, AlertDescription } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardFooter, CardHeader, CardTitle } from '@/components/ui/card';
import { FormField } from '@/components/ui/form-field';
import { Input } from '@/components/ui/input';
import { ConfirmDialog } from '@/components/common/confirm-dialog';
import { fieldErrors } from '@/components/auth/field-errors';
import { useTRPC } from '@/lib/trpc/client';

export function ProfileSettings() {
  const t = useTranslations('settings.profile');
  const trpc = useTRPC();
  const me = useQuery(trpc.account.me.queryOptions());
  const updateProfile = useMutation(trpc.account.updateProfile.mutationOptions({ onSuccess: () => toast.success(t('saved')) }));
  const resendVerification = useMutation(
    trpc.auth.resendVerification.mutationOptions({ onSuccess: () => toast.success(t('verificationSent', { email: me.data?.email ?? '' })), onError: (e) => toast.error(e.message) }),
  );
  const changePassword = useMutation(trpc.account.changePassword.mutationOptions());
  const deleteAccount = useMutation(trpc.account.deleteAccount.mutationOptions());
  const [pwErrors, setPwErrors] = useState<Record<string, string>>({});
  const [confirmEmail, setConfirmEmail] = useState('');

  return (
    <div className="grid max-w-2xl gap-6">
      <Card>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            updateProfile.mutate({ name: String(new FormData(e.currentTarget).get('name')) });
          }}
        >
          <CardHeader>
            <CardTitle>{t('title')}</CardTitle>
            <CardDescription>{me.data?.email}</CardDescription>
          </CardHeader>
          <CardContent className="grid gap-4 py-4">
            {me.data?.verificationRequired && !me.data.emailVerified && (
              <Alert role="status">
                <AlertDescription className="grid gap-2">
                  <span>{t('unverified')}</span>
                  <Button type="button" variant="outline" size="sm" className="justify-self-start" onClick={() => resendVerification.mutate()} disabled={resendVerification.isPending}>
                    {t('sendVerification')}
                  </Button>
                </AlertDescription>
              </Alert>
            )}
            <FormField label={t('name')} error={updateProfile.error?.message}>
              <Input name="name" defaultValue={me.data?.name ?? ''} key={me.data?.name ?? ''} maxLength={100} required />
            </FormField>
          </CardContent>
          <CardFooter>
            <Button type="submit" disabled={updateProfile.isPending}>
              {t('save')}
            </Button>
          </CardFooter>
        </form>
      </Card>

      <Card>
        <form
          onSubmit={async (e) => {
            e.preventDefault();
            const formEl = e.currentTarget;
            const form = new FormData(formEl);
            if (form.get('newPassword') !== form.get('confirm')) return setPwErrors({ confirm: t('passwordsDiffer') });
            setPwErrors({});
            try {
              await changePassword.mutateAsync({ currentPassword: String(form.get('currentPassword')), newPassword: String(form.get('newPassword')) });
              formEl.reset();
              toast.success(t('passwordChanged'));
            } catch (error) {
              setPwErrors(fieldErrors(error, t('error')));
            }
          }}
        >
          <CardHeader>
            <CardTitle>{t('passwordTitle')}</CardTitle>
          </CardHeader>
          <CardContent className="grid gap-4 py-4">
            <FormField label={t('currentPassword')} error={pwErrors.currentPassword} required>
              <Input name="currentPassword" type="password" autoComplete="current-password" required />
            </FormField>
            <FormField label={t('newPassword')} error={pwErrors.newPassword ?? pwErrors.password ?? pwErrors.form} required>
              <Input name="newPassword" type="password" autoComplete="new-password" required />
            </FormField>
            <FormField label={t('confirmPassword')} error={pwErrors.confirm} required>
              <Input name="confirm" type="password" autoComplete="new-password" required />
            </FormField>
          </CardContent>
          <CardFooter>
            <Button type="submit" disabled={changePassword.isPending}>
              {t('changePassword')}
            </Button>
          </CardFooter>
        </form>
      </Card>

      <Card className="border-destructive/50">
        <CardHeader>
          <CardTitle>{t('deleteTitle')}</CardTitle>
          <CardDescription>{t('deleteDescription')}</CardDescription>
        </CardHeader>
        <CardFooter className="pt-4">
          <ConfirmDialog
            trigger={<Button variant="destructive">{t('deleteButton')}</Button>}
            title={t('deleteConfirmTitle')}
            description={t('deleteConfirmDescription', { email: me.data?.email ?? '' })}
            confirmLabel={t('deleteButton')}
            confirmDisabled={confirmEmail.trim().toLowerCase() !== me.data?.email}
            onConfirm={async () => {
              try {
                const res = await deleteAccount.mutateAsync({ confirmEmail });
                if (!res.deleted) throw new Error(res.reason);
                await signOut({ callbackUrl: '/' });
              } catch (error) {
                toast.error(error instanceof Error ? error.message : t('error'));
                throw error;
              }
            }}
          >
            <FormField label={t('typeEmail')}>
              <Input value={confirmEmail} onChange={(e) => setConfirmEmail(e.target.value)} autoComplete="off" />
            </FormField>
          </ConfirmDialog>
        </CardFooter>
      </Card>
    </div>
  );
}
