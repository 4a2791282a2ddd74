import Link from 'next/link';
import { getTranslations } from 'next-intl/server';
import { Button } from '@/components/ui/button';
import { Logo } from '@/components/layout/logo';

export default async function HomePage() {
  const t = await getTranslations('home');
  return (
    <div className="flex min-h-dvh flex-col">
      <header className="flex items-center justify-between px-6 py-4">
        <Logo />
        <nav className="flex gap-2">
          <Button asChild variant="ghost">
            <Link href="/sign-in">{t('signIn')}</Link>
          </Button>
          <Button asChild>
            <Link href="/sign-up">{t('signUp')}</Link>
          </Button>
        </nav>
      </header>
      <main className="mx-auto flex max-w-3xl flex-1 flex-col items-center justify-center gap-6 px-6 text-center">
        <h1 className="text-4xl font-semibold tracking-tight sm:text-5xl">{t('headline')}</h1>
        <p className="text-muted-foreground text-lg">{t('subline')}</p>
        <div className="flex gap-3">
          <Button asChild size="lg">
            <Link href="/sign-up">{t('cta')}</Link>
          </Button>
        </div>
      </main>
    </div>
  );
}
