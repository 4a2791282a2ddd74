'use client';

import { useRouter } from 'next/navigation';
import { useMutation } from '@tanstack/react-query';
import { useTranslations } from 'next-intl';
import { Alert, AlertDescription } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { useTRPC } from '@/lib/trpc/client';

export function AcceptInvitation({ token }: { token: string }) {
  const t = useTranslations('auth');
  const trpc = useTRPC();
  const router = useRouter();
  const accept = useMutation(
    trpc.auth.acceptInvitation.mutationOptions({
      onSuccess: () => {
        router.push('/settings/members');
        router.refresh();
      },
    }),
  );
  return (
    <div className="grid gap-4">
      {accept.error && (
        <Alert variant="destructive" role="alert">
          <AlertDescription>{accept.error.message}</AlertDescription>
        </Alert>
      )}
      <Button onClick={() => accept.mutate({ token })} disabled={accept.isPending}>
        {t('invite.accept')}
      </Button>
    </div>
  );
}
