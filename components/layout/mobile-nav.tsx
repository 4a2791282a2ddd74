'use client';

import * as React from 'react';
import { MenuIcon } from 'lucide-react';
import { useTranslations } from 'next-intl';

import { Button } from '@/components/ui/button';
import { Sheet, SheetContent, SheetTitle, SheetTrigger } from '@/components/ui/sheet';
import { cn } from '@/lib/utils';

interface MobileNavProps {
  /** The sidebar's content, rendered inside a sheet that slides in from the left. */
  children: React.ReactNode;
  className?: string;
}

/** The sidebar for narrow screens: a menu button that opens it in a Sheet. */
function MobileNav({ children, className }: MobileNavProps) {
  const t = useTranslations('ui');
  const [open, setOpen] = React.useState(false);

  return (
    <Sheet open={open} onOpenChange={setOpen}>
      <SheetTrigger asChild>
        <Button variant="ghost" size="icon" className={cn('md:hidden', className)}>
          <MenuIcon aria-hidden="true" />
          <span className="sr-only">{t('nav.openMenu')}</span>
        </Button>
      </SheetTrigger>
      <SheetContent
        side="left"
        aria-describedby={undefined}
        className="bg-sidebar text-sidebar-foreground w-72 gap-0 p-0"
        onClick={(event) => {
          // A followed link navigates client-side without unmounting the sheet; close it here.
          if (event.target instanceof Element && event.target.closest('a[href]')) setOpen(false);
        }}
      >
        <SheetTitle className="sr-only">{t('nav.menuTitle')}</SheetTitle>
        {children}
      </SheetContent>
    </Sheet>
  );
}

export { MobileNav };
export type { MobileNavProps };
