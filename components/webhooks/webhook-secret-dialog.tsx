'use client';

import { useTranslations } from 'next-intl';
import { Button } from '@/components/ui/button';
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from '@/components/ui/dialog';
import { CopyButton } from '@/components/common/copy-button';

/** Shows a signing secret the one time it exists in the clear. */
export function WebhookSecretDialog({ secret, rotated = false, onClose }: { secret: string | null; rotated?: boolean; onClose: () => void }) {
  const t = useTranslations('webhooks.secret');
  return (
    <Dialog open={secret !== null} onOpenChange={(open) => !open && onClose()}>
      <DialogContent>
        <DialogHeader>
          <DialogTitle>{rotated ? t('rotatedTitle') : t('title')}</DialogTitle>
          <DialogDescription>{rotated ? t('rotatedDescription') : t('description')}</DialogDescription>
        </DialogHeader>
        <div className="bg-muted flex items-center gap-2 rounded-md border p-2">
          <code className="min-w-0 flex-1 font-mono text-sm break-all" data-testid="webhook-secret">
            {secret}
          </code>
          {secret && <CopyButton value={secret} />}
        </div>
        <DialogFooter>
          <Button onClick={onClose}>{t('done')}</Button>
        </DialogFooter>
      </DialogContent>
    </Dialog>
  );
}
