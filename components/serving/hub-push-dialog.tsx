'use client';

import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslations } from 'next-intl';
import { Upload } from 'lucide-react';
import { Alert, AlertDescription } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Checkbox } from '@/components/ui/checkbox';
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from '@/components/ui/dialog';
import { FormField } from '@/components/ui/form-field';
import { Input } from '@/components/ui/input';
import { Label } from '@/components/ui/label';
import { useModelFormat } from '@/components/models/use-model-format';
import { useTRPC } from '@/lib/trpc/client';

type Kind = 'adapter' | 'merged';

/** A button that pushes a fine-tuned model to a Hugging Face Hub repo, and the state of its recent pushes. */
export function HubPushButton({ fineTunedModel, canMerge }: { fineTunedModel: string; canMerge: boolean }) {
  const t = useTranslations('serving.hubPush');
  const trpc = useTRPC();
  const fmt = useModelFormat();
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const [kind, setKind] = useState<Kind>('adapter');
  const [isPrivate, setPrivate] = useState(true);
  const pushes = useQuery({
    ...trpc.serving.hubPushes.queryOptions({ fineTunedModel }),
    refetchInterval: (query) => (query.state.data?.some((p) => p.status === 'queued' || p.status === 'running') ? 2000 : false),
  });
  const push = useMutation(
    trpc.serving.hubPush.mutationOptions({
      onSuccess: () => {
        void queryClient.invalidateQueries({ queryKey: trpc.serving.hubPushes.queryKey({ fineTunedModel }) });
        close(false);
      },
    }),
  );

  function close(next: boolean) {
    if (!next) push.reset();
    setOpen(next);
  }

  const latest = pushes.data?.[0];
  const progress = latest?.progress as { phase?: string; bytes?: number; totalBytes?: number } | null | undefined;
  const error = latest?.error as { message?: string } | null | undefined;

  return (
    <div className="grid w-full gap-2" data-testid="hub-push">
      <div>
        <Button variant="outline" size="sm" onClick={() => setOpen(true)}>
          <Upload aria-hidden />
          {t('button')}
        </Button>
      </div>
      {latest && (
        <p className="text-muted-foreground text-sm break-words" role="status" data-testid="hub-push-status">
          {latest.status === 'succeeded' && latest.url ? (
            <>
              {t('succeeded')}{' '}
              <a className="text-foreground underline break-all" href={latest.url} target="_blank" rel="noreferrer">
                {latest.repo}
              </a>
            </>
          ) : latest.status === 'failed' ? (
            <span className="text-destructive">{t('failed', { repo: latest.repo, message: error?.message ?? '' })}</span>
          ) : (
            t('running', { repo: latest.repo, done: fmt.bytes(progress?.bytes ?? 0), total: fmt.bytes(progress?.totalBytes ?? 0) })
          )}
        </p>
      )}
      <Dialog open={open} onOpenChange={close}>
        <DialogContent className="max-h-[90vh] overflow-y-auto">
          <DialogHeader>
            <DialogTitle>{t('title')}</DialogTitle>
            <DialogDescription>{t('description')}</DialogDescription>
          </DialogHeader>
          <form
            className="grid gap-4"
            onSubmit={(e) => {
              e.preventDefault();
              const form = new FormData(e.currentTarget);
              push.mutate({ fineTunedModel, repo: String(form.get('repo') ?? ''), kind, private: isPrivate });
            }}
          >
            {push.error && (
              <Alert variant="destructive" role="alert">
                <AlertDescription>{push.error.message}</AlertDescription>
              </Alert>
            )}
            <FormField label={t('repo')} description={t('repoHint')} required>
              <Input name="repo" placeholder="your-org/my-model" autoFocus required maxLength={193} pattern="[A-Za-z0-9][A-Za-z0-9_.\-]*/[A-Za-z0-9][A-Za-z0-9_.\-]*" autoComplete="off" spellCheck={false} />
            </FormField>
            <fieldset className="grid gap-2">
              <legend className="mb-1 text-sm font-medium">{t('what')}</legend>
              {(['adapter', 'merged'] as const).map((value) => (
                <div key={value} className="flex items-start gap-2">
                  <input
                    type="radio"
                    id={`hub-push-${value}`}
                    name="kind"
                    value={value}
                    className="mt-0.5 size-4 accent-current"
                    checked={kind === value}
                    disabled={value === 'merged' && !canMerge}
                    onChange={() => setKind(value)}
                  />
                  <Label htmlFor={`hub-push-${value}`} className="grid gap-0.5 leading-tight font-normal">
                    <span>{t(value === 'adapter' ? 'adapter' : 'merged')}</span>
                    <span className="text-muted-foreground text-xs">{t(value === 'adapter' ? 'adapterHint' : 'mergedHint')}</span>
                  </Label>
                </div>
              ))}
            </fieldset>
            <div className="flex items-start gap-2">
              <Checkbox id="hub-push-private" checked={isPrivate} onCheckedChange={(on) => setPrivate(on === true)} />
              <Label htmlFor="hub-push-private" className="grid gap-0.5 leading-tight font-normal">
                <span>{t('private')}</span>
                <span className="text-muted-foreground text-xs">{t('privateHint')}</span>
              </Label>
            </div>
            <DialogFooter>
              <Button type="button" variant="outline" onClick={() => close(false)}>
                {t('cancel')}
              </Button>
              <Button type="submit" disabled={push.isPending}>
                {t('submit')}
              </Button>
            </DialogFooter>
          </form>
        </DialogContent>
      </Dialog>
    </div>
  );
}
