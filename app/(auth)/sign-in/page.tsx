import Link from 'next/link';
import { Suspense } from 'react';
import { getTranslations } from 'next-intl/server';
import { AuthCard } from '@/components/auth/auth-card';
import { SignInForm } from '@/components/auth/sign-in-form';
import { oauthProviders } from '@/server/auth/options';

export const dynamic = 'force-dynamic';

export default async function SignInPage() {
  const t = await getTranslations('auth');
  return (
    <AuthCard
      title={t('signIn.title')}
      description={t('signIn.description')}
      footer={
        <span>
          {t('signIn.noAccount')}{' '}
          <Link href="/sign-up" className="text-foreground underline underline-offset-4">
            {t('signUp.title')}
          </Link>
        </span>
      }
    >
      <Suspense>
        <SignInForm oauth={oauthProviders()} />
      </Suspense>
    </AuthCard>
  );
}
