import { getTranslations } from 'next-intl/server';
import { AuthCard } from '@/components/auth/auth-card';
import { VerifyEmail } from '@/components/auth/verify-email';

export default async function VerifyEmailPage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const t = await getTranslations('auth');
  return (
    <AuthCard title={t('verify.title')} description={t('verify.description')}>
      <VerifyEmail token={token} />
    </AuthCard>
  );
}
