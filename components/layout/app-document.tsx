import { GeistSans } from 'geist/font/sans';
import { GeistMono } from 'geist/font/mono';
import { NextIntlClientProvider } from 'next-intl';
import { getLocale, getMessages } from 'next-intl/server';
import { Toaster } from '@/components/ui/sonner';
import { TrpcReactProvider } from '@/lib/trpc/client';

/** The html document of the signed-in product and the sign-in pages, in the user's language. */
export async function AppDocument({ children }: { children: React.ReactNode }) {
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
