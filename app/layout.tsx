import type { Metadata } from 'next';
import { GeistSans } from 'geist/font/sans';
import { GeistMono } from 'geist/font/mono';
import { NextIntlClientProvider } from 'next-intl';
import { getLocale, getMessages } from 'next-intl/server';
import { Toaster } from '@/components/ui/sonner';
import { TrpcReactProvider } from '@/lib/trpc/client';
import './globals.css';

export const metadata: Metadata = {
  title: { default: 'Lathe', template: '%s · Lathe' },
  description: 'Fine-tune and serve open LLMs on your own GPUs.',
};

export default async function RootLayout({ children }: { children: React.ReactNode }) {
  const locale = await getLocale();
  const messages = await getMessages();
  return (
    <html lang={locale} className={`${GeistSans.variable} ${GeistMono.variable}`} suppressHydrationWarning>
      <body className="bg-background text-foreground min-h-dvh font-sans antialiased">
        <NextIntlClientProvider locale={locale} messages={messages} timeZone="UTC">
          <TrpcReactProvider>{children}</TrpcReactProvider>
          <Toaster />
        </NextIntlClientProvider>
      </body>
    </html>
  );
}
