import Link from 'next/link';
import { getTranslations } from 'next-intl/server';
import { AuthCard } from '@/components/auth/auth-card';
import { SignUpForm } from '@/components/auth/sign-up-form';

export default async function SignUpPage() {
  const t = await getTranslations('auth');
  return (
    <AuthCard
      title={t('signUp.title')}
      description={t('signUp.description')}
      footer={
        <span>
          {t('signUp.haveAccount')}{' '}
          <Link href="/sign-in" className="text-foreground underline underline-offset-4">
            {t('signIn.title')}
          </Link>
        </span>
      }
    >
      <SignUpForm />
    </AuthCard>
  );
}
