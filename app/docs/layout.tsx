// The documentation site's shell: fumadocs' provider (theme, search dialog) and its docs layout
// (sidebar from content/docs, search, theme switch). Self-contained: it sets its own styles and
// reads no marketing or dashboard layout. The root layout only passes through, so this is the
// documentation's html document: English, with translated quick starts marking their own language.
import type { ReactNode } from 'react';
import { GeistSans } from 'geist/font/sans';
import { GeistMono } from 'geist/font/mono';
import { House } from 'lucide-react';
import { DocsLayout } from 'fumadocs-ui/layouts/docs';
import { RootProvider } from 'fumadocs-ui/provider/next';
import { source } from '@/lib/docs/source';
import './docs.css';

export default function Layout({ children }: { children: ReactNode }) {
  return (
    <html lang="en" className={`${GeistSans.variable} ${GeistMono.variable}`} suppressHydrationWarning>
      <body className="bg-background text-foreground min-h-dvh font-sans antialiased">
        {/* The dialog queries the exported index in the browser; with no round trip, it searches
            on every keystroke instead of waiting for typing to pause. */}
        <RootProvider search={{ options: { type: 'static', api: '/api/search/static', delayMs: 0 } }}>
          <DocsLayout
            tree={source.getPageTree()}
            nav={{ title: 'Lathe docs', url: '/docs' }}
            links={[{ type: 'icon', label: 'Lathe home', text: 'Lathe home', url: '/', icon: <House /> }]}
          >
            {children}
          </DocsLayout>
        </RootProvider>
      </body>
    </html>
  );
}
