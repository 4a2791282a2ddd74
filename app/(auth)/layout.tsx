import type { Metadata } from 'next';
import Link from 'next/link';
import { Logo } from '@/components/layout/logo';
import { AppDocument } from '@/components/layout/app-document';

export const metadata: Metadata = {
  title: { default: 'Lathe', template: '%s · Lathe' },
  description: 'Fine-tune and serve open LLMs on your own GPUs.',
};

export default function AuthLayout({ children }: { children: React.ReactNode }) {
  return (
    <AppDocument>
      <div className="bg-muted/40 flex min-h-dvh flex-col items-center justify-center gap-6 p-6">
        <Link href="/" aria-label="Lathe home">
          <Logo />
        </Link>
        <main className="w-full max-w-sm">{children}</main>
      </div>
    </AppDocument>
  );
}
