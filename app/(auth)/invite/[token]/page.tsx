import Link from 'next/link';
import { getTranslations } from 'next-intl/server';
import { AuthCard } from '@/components/auth/auth-card';
import { AcceptInvitation } from '@/components/auth/accept-invitation';
import { Button } from '@/components/ui/button';
import { currentUser } from '@/server/auth/current-user';

export const dynamic = 'force-dynamic';

export default async function InvitePage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const t = await getTranslations('auth');
  const user = await currentUser();
  const returnTo = encodeURIComponent(`/invite/${token}`);
  return (
    <AuthCard title={t('invite.title')} description={user ? t('invite.signedInAs', { email: user.email }) : t('invite.signInFirst')}>
      {user ? (
        <AcceptInvitation token={token} />
      ) : (
        <div className="grid gap-2">
          <Button asChild>
            <Link href={`/sign-in?callbackUrl=${returnTo}`}>{t('signIn.title')}</Link>
          </Button>
          <Button asChild variant="outline">
            <Link href={`/sign-up?callbackUrl=${returnTo}`}>{t('signUp.title')}</Link>
          </Button>
        </div>
      )}
    </AuthCard>
  );
}
