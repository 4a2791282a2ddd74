'use client';

import { useState } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useTranslations } from 'next-intl';
import { Alert, AlertDescription } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from '@/components/ui/dialog';
import { FormField } from '@/components/ui/form-field';
import { Input } from '@/components/ui/input';
import { CopyButton } from '@/components/common/copy-button';
import { useTRPC } from '@/lib/trpc/client';

export function CreateApiKeyDialog({ open, onOpenChange }: { open: boolean; onOpenChange: (open: boolean) => void }) {
  const t = useTranslations('apiKeys');
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [secret, setSecret] = useState<string | null>(null);
  const create = useMutation(
    trpc.apiKey.create.mutationOptions({
      onSuccess: (res) => {
        setSecret(res.key);
        void queryClient.invalidateQueries({ queryKey: trpc.apiKey.list.queryKey() });
      },
    }),
  );

  function close(next: boolean) {
    if (!next) {
      setSecret(null);
      create.reset();
    }
    onOpenChange(next);
  }

  return (
    <Dialog open={open} onOpenChange={close}>
      <DialogContent>
        <DialogHeader>
          <DialogTitle>{secret ? t('created.title') : t('create')}</DialogTitle>
          <DialogDescription>{secret ? t('created.description') : t('createDescription')}</DialogDescription>
        </DialogHeader>
        {secret ? (
          <>
            <div className="bg-muted flex items-center gap-2 rounded-md border p-2">
              <code className="min-w-0 flex-1 font-mono text-sm break-all" data-testid="new-api-key">
                {secret}
              </code>
              <CopyButton value={secret} />
            </div>
            <DialogFooter>
              <Button onClick={() => close(false)}>{t('created.done')}</Button>
            </DialogFooter>
          </>
        ) : (
          <form
            className="grid gap-4"
            onSubmit={(e) => {
              e.preventDefault();
              create.mutate({ name: String(new FormData(e.currentTarget).get('name') ?? '') });
            }}
          >
            {create.error && (
              <Alert variant="destructive" role="alert">
                <AlertDescription>{create.error.message}</AlertDescription>
              </Alert>
            )}
            <FormField label={t('columns.name')} description={t('nameHint')}>
              <Input name="name" placeholder="production" autoFocus maxLength={100} />
            </FormField>
            <DialogFooter>
              <Button type="button" variant="outline" onClick={() => close(false)}>
                {t('cancel')}
              </Button>
              <Button type="submit" disabled={create.isPending}>
                {t('createSubmit')}
              </Button>
            </DialogFooter>
          </form>
        )}
      </DialogContent>
    </Dialog>
  );
}
