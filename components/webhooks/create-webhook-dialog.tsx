'use client';

import { useState } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useTranslations } from 'next-intl';
import { Alert, AlertDescription } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Checkbox } from '@/components/ui/checkbox';
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from '@/components/ui/dialog';
import { FormField } from '@/components/ui/form-field';
import { Input } from '@/components/ui/input';
import { Label } from '@/components/ui/label';
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from '@/lib/universal/webhook-events';
import { useTRPC } from '@/lib/trpc/client';

/** The label of each event type, under webhooks.eventNames. */
const EVENT_LABEL_KEYS = {
  'fine_tuning.job.succeeded': 'eventNames.fine_tuning_job_succeeded',
  'fine_tuning.job.failed': 'eventNames.fine_tuning_job_failed',
  'fine_tuning.job.cancelled': 'eventNames.fine_tuning_job_cancelled',
  'dataset.validated': 'eventNames.dataset_validated',
  'dataset.failed': 'eventNames.dataset_failed',
  'model.ready': 'eventNames.model_ready',
  'credits.low': 'eventNames.credits_low',
} as const satisfies Record<WebhookEventType, string>;

export function CreateWebhookDialog({ open, onOpenChange, onCreated }: { open: boolean; onOpenChange: (open: boolean) => void; onCreated: (secret: string) => void }) {
  const t = useTranslations('webhooks');
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [events, setEvents] = useState<WebhookEventType[]>(['fine_tuning.job.succeeded', 'fine_tuning.job.failed']);
  const create = useMutation(
    trpc.webhooks.create.mutationOptions({
      onSuccess: (res) => {
        void queryClient.invalidateQueries({ queryKey: trpc.webhooks.list.queryKey() });
        close(false);
        onCreated(res.secret);
      },
    }),
  );

  function close(next: boolean) {
    if (!next) create.reset();
    onOpenChange(next);
  }

  const toggle = (type: WebhookEventType, on: boolean) => setEvents((current) => (on ? [...new Set([...current, type])] : current.filter((e) => e !== type)));

  return (
    <Dialog open={open} onOpenChange={close}>
      <DialogContent className="max-h-[90vh] overflow-y-auto">
        <DialogHeader>
          <DialogTitle>{t('create')}</DialogTitle>
          <DialogDescription>{t('createDescription')}</DialogDescription>
        </DialogHeader>
        <form
          className="grid gap-4"
          onSubmit={(e) => {
            e.preventDefault();
            const form = new FormData(e.currentTarget);
            create.mutate({ url: String(form.get('url') ?? ''), description: String(form.get('description') ?? ''), events });
          }}
        >
          {create.error && (
            <Alert variant="destructive" role="alert">
              <AlertDescription>{create.error.message}</AlertDescription>
            </Alert>
          )}
          <FormField label={t('url')} description={t('urlHint')} required>
            <Input name="url" type="url" inputMode="url" placeholder="https://example.com/hooks/lathe" autoFocus required maxLength={2048} />
          </FormField>
          <FormField label={t('descriptionLabel')} description={t('descriptionHint')}>
            <Input name="description" maxLength={200} />
          </FormField>
          <fieldset className="grid gap-2">
            <legend className="mb-1 text-sm font-medium">{t('events')}</legend>
            <p className="text-muted-foreground text-sm" id="webhook-events-hint">
              {t('eventsHint')}
            </p>
            {WEBHOOK_EVENT_TYPES.map((type) => (
              <div key={type} className="flex items-start gap-2">
                <Checkbox id={`event-${type}`} checked={events.includes(type)} onCheckedChange={(on) => toggle(type, on === true)} aria-describedby="webhook-events-hint" />
                <Label htmlFor={`event-${type}`} className="grid gap-0.5 leading-tight font-normal">
                  <span>{t(EVENT_LABEL_KEYS[type])}</span>
                  <code className="text-muted-foreground font-mono text-xs break-all">{type}</code>
                </Label>
              </div>
            ))}
          </fieldset>
          <DialogFooter>
            <Button type="button" variant="outline" onClick={() => close(false)}>
              {t('cancel')}
            </Button>
            <Button type="submit" disabled={create.isPending}>
              {t('createSubmit')}
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}
