'use client';

import * as React from 'react';
import { CheckIcon, CopyIcon } from 'lucide-react';
import { useTranslations } from 'next-intl';
import { toast } from 'sonner';

import { copyText } from '@/components/common/clipboard';
import { Button } from '@/components/ui/button';
import { cn } from '@/lib/utils';

const COPIED_FEEDBACK_MS = 2000;

interface CopyButtonProps extends Omit<React.ComponentProps<typeof Button>, 'value' | 'onClick' | 'children'> {
  value: string;
  /** Accessible name; defaults to "Copy to clipboard". */
  label?: string;
  /** Shows "Copy" / "Copied" next to the icon instead of the icon alone. */
  showText?: boolean;
  onCopied?: () => void;
}

function CopyButton({
  value,
  label,
  showText = false,
  onCopied,
  className,
  variant = 'ghost',
  size,
  ...props
}: CopyButtonProps) {
  const t = useTranslations('ui');
  const [copied, setCopied] = React.useState(false);
  const [announcement, setAnnouncement] = React.useState('');
  const resetTimer = React.useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  React.useEffect(() => () => clearTimeout(resetTimer.current), []);

  async function handleClick() {
    try {
      await copyText(value);
    } catch {
      setAnnouncement(t('copy.failed'));
      toast.error(t('copy.failed'));
      return;
    }
    setCopied(true);
    setAnnouncement(t('copy.copiedToClipboard'));
    onCopied?.();
    clearTimeout(resetTimer.current);
    resetTimer.current = setTimeout(() => {
      setCopied(false);
      setAnnouncement('');
    }, COPIED_FEEDBACK_MS);
  }

  const Icon = copied ? CheckIcon : CopyIcon;

  return (
    <>
      <Button
        type="button"
        variant={variant}
        size={size ?? (showText ? 'sm' : 'icon-sm')}
        className={cn(copied && 'text-success hover:text-success', className)}
        aria-label={showText ? undefined : (label ?? t('copy.copyToClipboard'))}
        data-copied={copied || undefined}
        onClick={handleClick}
        {...props}
      >
        <Icon aria-hidden="true" />
        {showText && <span>{copied ? t('copy.copied') : (label ?? t('copy.copy'))}</span>}
      </Button>
      <span className="sr-only" role="status" aria-live="polite">
        {announcement}
      </span>
    </>
  );
}

export { CopyButton };
export type { CopyButtonProps };
