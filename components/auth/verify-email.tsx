'use client';

import Link from 'next/link';
import { useMutation } from '@tanstack/react-query';
import { useTranslations } from 'next-intl';
import { Alert, AlertDescription } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { ActionButton } from '@/components/auth/action-button';
import { useTRPC } from '@/lib/trpc/client';

/** Verifies on a click rather than on load, so a mail scanner that fetches the link changes nothing. */
export function VerifyEmail({ token }: { token: string }) {
  const t = useTranslations('auth');
  const trpc = useTRPC();
  const verify = useMutation(trpc.auth.verifyEmail.mutationOptions());
  if (verify.isSuccess) {
    return (
      <div className="grid gap-4">
        <Alert role="status">
          <AlertDescription>{t('verify.done')}</AlertDescription>
        </Alert>
        <Button asChild>
          <Link href="/datasets">{t('verify.continue')}</Link>
        </Button>
      </div>
    );
  }
  return <ActionButton label={t('verify.submit')} onClick={() => verify.mutate({ token })} pending={verify.isPending} error={verify.error} />;
}
