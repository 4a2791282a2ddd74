'use client';

import * as React from 'react';
import Link from 'next/link';
import { LogOutIcon } from 'lucide-react';
import { useTranslations } from 'next-intl';

import { renderIcon, type IconProp } from '@/components/common/icon';
import { Avatar, AvatarFallback, AvatarImage } from '@/components/ui/avatar';
import { Button } from '@/components/ui/button';
import {
  DropdownMenu,
  DropdownMenuContent,
  DropdownMenuGroup,
  DropdownMenuItem,
  DropdownMenuLabel,
  DropdownMenuSeparator,
  DropdownMenuTrigger,
} from '@/components/ui/dropdown-menu';

interface UserMenuLink {
  href: string;
  label: string;
  icon?: IconProp;
}

interface UserMenuProps {
  name?: string | null;
  email: string;
  image?: string | null;
  /** Account pages: settings, API keys, billing, docs. */
  links?: readonly UserMenuLink[];
  onSignOut: () => void;
}

/** Up to two initials from the name, or the first letter of the e-mail address. */
function initialsOf(name: string | null | undefined, email: string): string {
  const words = (name ?? '').trim().split(/\s+/).filter(Boolean);
  const letters =
    words.length >= 2
      ? [words[0], words[words.length - 1]].map((word) => Array.from(word ?? '')[0] ?? '')
      : Array.from(words[0] ?? email).slice(0, words.length === 1 ? 2 : 1);
  return letters.join('').toUpperCase() || '?';
}

function UserMenu({ name, email, image, links = [], onSignOut }: UserMenuProps) {
  const t = useTranslations('ui');
  const displayName = name?.trim() || email;
  const initials = initialsOf(name, email);

  return (
    <DropdownMenu>
      <DropdownMenuTrigger asChild>
        <Button variant="ghost" size="icon" className="rounded-full">
          <Avatar>
            {image && <AvatarImage src={image} alt="" />}
            <AvatarFallback>{initials}</AvatarFallback>
          </Avatar>
          {/* Named by its content, so the visible initials are part of the name (WCAG 2.5.3). */}
          <span className="sr-only">{t('userMenu.open')}</span>
        </Button>
      </DropdownMenuTrigger>
      <DropdownMenuContent align="end" className="w-60">
        <DropdownMenuLabel className="flex flex-col gap-0.5 font-normal">
          <span className="truncate text-sm font-medium">{displayName}</span>
          {displayName !== email && (
            <span className="text-muted-foreground truncate text-xs">{email}</span>
          )}
        </DropdownMenuLabel>
        {links.length > 0 && (
          <>
            <DropdownMenuSeparator />
            <DropdownMenuGroup>
              {links.map((link) => (
                <DropdownMenuItem key={link.href} asChild>
                  <Link href={link.href}>
                    {renderIcon(link.icon)}
                    {link.label}
                  </Link>
                </DropdownMenuItem>
              ))}
            </DropdownMenuGroup>
          </>
        )}
        <DropdownMenuSeparator />
        <DropdownMenuItem onSelect={onSignOut}>
          <LogOutIcon aria-hidden="true" />
          {t('userMenu.signOut')}
        </DropdownMenuItem>
      </DropdownMenuContent>
    </DropdownMenu>
  );
}

export { UserMenu, initialsOf };
export type { UserMenuLink, UserMenuProps };
