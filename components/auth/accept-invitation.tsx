'use client';

import { useRouter } from 'next/navigation';
import { useMutation } from '@tanstack/react-query';
import { useTranslations } from 'next-intl';
import { ActionButton } from '@/components/auth/action-button';
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
  return <ActionButton label={t('invite.accept')} onClick={() => accept.mutate({ token })} pending={accept.isPending} error={accept.error} />;
}
