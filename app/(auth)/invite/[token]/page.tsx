import Link from 'next/link';
import { getFormatter, getTranslations } from 'next-intl/server';
import { AuthCard } from '@/components/auth/auth-card';
import { AcceptInvitation } from '@/components/auth/accept-invitation';
import { Button } from '@/components/ui/button';
import { currentUser } from '@/server/auth/current-user';
import { getDb } from '@/server/db';
import { describeInvitation } from '@/server/services/orgs/describe-invitation';

export const dynamic = 'force-dynamic';

export default async function InvitePage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const t = await getTranslations('auth');
  const format = await getFormatter();
  const user = await currentUser();
  const invitation = await describeInvitation({ db: getDb(), token });
  const returnTo = encodeURIComponent(`/invite/${token}`);

  if (invitation.state !== 'pending') {
    const ask = invitation.state !== 'unknown' && invitation.invitedBy ? t('invite.askInviter', { inviter: invitation.invitedBy }) : t('invite.askAdmin');
    return (
      <AuthCard title={t(`invite.states.${invitation.state}.title`)} description={`${t(`invite.states.${invitation.state}.description`)} ${ask}`}>
        <Button asChild variant="outline">
          <Link href={user ? '/datasets' : '/sign-in'}>{user ? t('invite.toDashboard') : t('signIn.title')}</Link>
        </Button>
      </AuthCard>
    );
  }

  return (
    <AuthCard title={t('invite.joinTitle', { organization: invitation.organization })} description={user ? t('invite.signedInAs', { email: user.email }) : t('invite.signInFirst')}>
      <div className="grid gap-4">
        <p className="text-sm" data-testid="invitation">
          {t('invite.summary', {
            inviter: invitation.invitedBy ?? t('invite.someone'),
            organization: invitation.organization,
            email: invitation.email,
            role: invitation.role,
            expires: format.dateTime(invitation.expiresAt, { dateStyle: 'medium' }),
          })}
        </p>
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
      </div>
    </AuthCard>
  );
}
