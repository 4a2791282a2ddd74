import * as React from 'react';
import { useTranslations } from 'next-intl';

import { cn } from '@/lib/utils';

interface LogoProps {
  /** "mark" draws the square symbol alone, for collapsed or tight spaces. */
  variant?: 'wordmark' | 'mark';
  /** Hide from assistive technology when a surrounding link already names it. */
  decorative?: boolean;
  className?: string;
}

/** Lathe's logo: a turned spindle on its axis, in the accent colour, beside the name. */
function Logo({ variant = 'wordmark', decorative = false, className }: LogoProps) {
  const t = useTranslations('ui');
  const name = t('logo.name');
  const a11y = decorative
    ? { 'aria-hidden': true as const }
    : { role: 'img' as const, 'aria-label': name };

  return (
    <svg
      data-slot="logo"
      viewBox={variant === 'mark' ? '0 0 24 24' : '0 0 82 24'}
      className={cn(variant === 'mark' ? 'h-6 w-6' : 'h-6 w-auto', 'shrink-0', className)}
      xmlns="http://www.w3.org/2000/svg"
      {...a11y}
    >
      {!decorative && <title>{name}</title>}
      <rect width="24" height="24" rx="6" className="fill-primary" />
      <path
        d="M3.5 12h17"
        className="stroke-primary-foreground"
        strokeWidth="1.6"
        strokeLinecap="round"
      />
      <path
        d="M7.5 8.2C10.5 6.4 13.5 6.4 16.5 8.2V15.8C13.5 17.6 10.5 17.6 7.5 15.8Z"
        className="fill-primary-foreground"
      />
      <path
        d="M10.5 7.2v9.6M13.5 7.2v9.6"
        className="stroke-primary"
        strokeWidth="1.1"
        strokeLinecap="round"
      />
      {variant === 'wordmark' && (
        <text
          x="31"
          y="17.3"
          className="fill-foreground"
          fontSize="16"
          fontWeight="600"
          letterSpacing="-0.02em"
        >
          {name}
        </text>
      )}
    </svg>
  );
}

export { Logo };
export type { LogoProps };
