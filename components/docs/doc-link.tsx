// A link to a documentation page that another part of Lathe contributes: a link while the page
// exists, plain text otherwise, so the docs never point at a missing page.
import Link from 'next/link';
import type { ReactNode } from 'react';
import { source } from '@/lib/docs/source';

export function DocLink({ href, children }: { href: string; children: ReactNode }) {
  const [pathname, hash] = href.split('#');
  const slugs = (pathname ?? '').replace(/^\/docs\/?/, '').split('/').filter(Boolean);
  if (!source.getPage(slugs)) return <span>{children}</span>;
  return <Link href={hash ? `${pathname}#${hash}` : pathname!}>{children}</Link>;
}
