import * as React from 'react';
import { useTranslations } from 'next-intl';

import { CopyButton } from '@/components/common/copy-button';
import { cn } from '@/lib/utils';

interface CodeBlockProps {
  code: string;
  /** Shown in the header and used for the accessible name, e.g. "bash" or "python". */
  language?: string;
  /** Header text, e.g. a file name; defaults to the language. */
  title?: React.ReactNode;
  /** Wrap long lines instead of scrolling sideways. */
  wrap?: boolean;
  className?: string;
}

function CodeBlock({ code, language, title, wrap = false, className }: CodeBlockProps) {
  const t = useTranslations('ui');
  const heading = title ?? language;
  const name = language ? t('copy.codeIn', { language }) : t('copy.code');

  return (
    <div
      data-slot="code-block"
      className={cn(
        // inline-size containment: long lines scroll inside the block instead of widening the
        // grid or flex column it sits in.
        'bg-muted/40 relative w-full overflow-hidden rounded-lg border [contain:inline-size]',
        className,
      )}
    >
      {heading ? (
        <div className="text-muted-foreground flex h-9 items-center justify-between border-b pr-1 pl-3 text-xs">
          <span className="truncate font-mono">{heading}</span>
          <CopyButton value={code} label={t('copy.copyCode')} />
        </div>
      ) : (
        <CopyButton
          value={code}
          label={t('copy.copyCode')}
          className="bg-background/80 absolute top-1.5 right-1.5 z-10 backdrop-blur"
        />
      )}
      {/* Focusable so keyboard users can scroll code that overflows. */}
      <pre
        tabIndex={0}
        aria-label={name}
        className={cn(
          'focus-visible:ring-ring/50 overflow-x-auto p-4 font-mono text-[13px] leading-relaxed outline-none focus-visible:ring-[3px] focus-visible:ring-inset',
          wrap ? 'break-words whitespace-pre-wrap' : 'whitespace-pre',
          !heading && 'pr-12',
        )}
      >
        <code data-language={language}>{code}</code>
      </pre>
    </div>
  );
}

export { CodeBlock };
export type { CodeBlockProps };
