'use client';

import * as React from 'react';
import { usePathname } from 'next/navigation';

/**
 * After a client-side navigation, moves keyboard and screen-reader focus to the new page's main
 * heading (WCAG 2.4.3), as a full page load would start at the top. The first render is left
 * alone, so a fresh load keeps the browser's own focus. Pages that render their heading after
 * their data are waited for (a MutationObserver on <main>, given up after a few seconds).
 */
function RouteFocus({ mainId }: { mainId: string }) {
  const pathname = usePathname();
  const first = React.useRef(true);

  React.useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    const main = document.getElementById(mainId);
    if (!main) return;
    const focusHeading = () => {
      const heading = main.querySelector<HTMLElement>('h1');
      if (!heading) return false;
      // Someone already chose where focus goes on this page (an autofocus field): leave it.
      if (document.activeElement && document.activeElement !== document.body && main.contains(document.activeElement)) return true;
      if (!heading.hasAttribute('tabindex')) heading.setAttribute('tabindex', '-1');
      heading.focus({ preventScroll: true });
      return true;
    };
    if (focusHeading()) return;
    const observer = new MutationObserver(() => {
      if (focusHeading()) observer.disconnect();
    });
    observer.observe(main, { childList: true, subtree: true });
    const stop = window.setTimeout(() => observer.disconnect(), 5_000);
    return () => {
      observer.disconnect();
      window.clearTimeout(stop);
    };
  }, [pathname, mainId]);

  return null;
}

export { RouteFocus };
