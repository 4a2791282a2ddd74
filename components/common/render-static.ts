import * as React from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { NextIntlClientProvider } from 'next-intl';

import ui from '@/messages/en/ui.json';

/**
 * Renders a tree to HTML with the English `ui` messages, the way the app's provider supplies
 * them. A missing message or a bad ICU argument throws instead of rendering the key, so tests
 * catch them.
 */
export function renderStatic(element: React.ReactNode): string {
  return renderToStaticMarkup(
    React.createElement(NextIntlClientProvider, {
      locale: 'en',
      messages: { ui },
      timeZone: 'UTC',
      onError: (error: Error) => {
        throw error;
      },
      children: element,
    }),
  );
}
