'use client';

import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslations } from 'next-intl';
import { toast } from 'sonner';
import { Save, Trash2 } from 'lucide-react';
import { Alert, AlertDescription } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from '@/components/ui/dialog';
import { FormField } from '@/components/ui/form-field';
import { Input } from '@/components/ui/input';
import { Select, SelectContent, SelectGroup, SelectItem, SelectLabel, SelectTrigger, SelectValue } from '@/components/ui/select';
import { Switch } from '@/components/ui/switch';
import { ConfirmDialog } from '@/components/common/confirm-dialog';
import { PRESET_LIMITS, type TPresetParameters } from '@/lib/universal/playground-preset';
import { useTRPC } from '@/lib/trpc/client';

export type Preset = { id: string; name: string; systemPrompt: string; parameters: TPresetParameters; shared: boolean; mine: boolean; author: string };

type PresetControlsProps = {
  /** What the playground holds now: what "Save" and "Update" store. */
  current: { systemPrompt: string; parameters: TPresetParameters };
  active: Preset | null;
  onApply: (preset: Preset) => void;
  onForget: () => void;
};

type Draft = { mode: 'create' | 'update'; name: string; shared: boolean };

/** Choose a saved preset, save the current prompt and parameters as one, update or delete your own. */
export function PresetControls({ current, active, onApply, onForget }: PresetControlsProps) {
  const t = useTranslations('playground.presets');
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const presets = useQuery(trpc.playground.preset.list.queryOptions());
  const [draft, setDraft] = useState<Draft | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.playground.preset.list.queryKey() });

  // Server sentences are English; the reasons the user can act on are said in their language.
  const sentence = (failure: { data?: { reason?: string | null } | null }, name: string) => {
    const reason = failure.data?.reason;
    if (reason === 'name_taken') return t('errors.nameTaken', { name });
    if (reason === 'preset_not_owned') return t('errors.notOwned', { name });
    return t('errors.failed');
  };
  const saved = (preset: Preset, message: string) => {
    toast.success(message);
    setDraft(null);
    setError(null);
    // In the list at once, so the picker names the preset before the list is read again.
    queryClient.setQueryData(trpc.playground.preset.list.queryKey(), (list) => (list ? [...list.filter((p) => p.id !== preset.id), preset as (typeof list)[number]] : list));
    onApply(preset);
    void refresh();
  };
  const create = useMutation(
    trpc.playground.preset.create.mutationOptions({
      onSuccess: (preset) => saved(preset, t('created', { name: preset.name })),
      onError: (failure, input) => setError(sentence(failure, input.name)),
    }),
  );
  const update = useMutation(
    trpc.playground.preset.update.mutationOptions({
      onSuccess: (preset) => saved(preset, t('updated', { name: preset.name })),
      onError: (failure, input) => setError(sentence(failure, input.fields.name)),
    }),
  );
  const remove = useMutation(trpc.playground.preset.delete.mutationOptions());

  const list = presets.data ?? [];
  const mine = list.filter((p) => p.mine);
  const others = list.filter((p) => !p.mine);
  const pending = create.isPending || update.isPending;
  const name = draft?.name.trim() ?? '';
  const changed =
    active !== null &&
    (active.systemPrompt !== current.systemPrompt || (Object.keys(active.parameters) as (keyof TPresetParameters)[]).some((k) => active.parameters[k] !== current.parameters[k]));

  function submit() {
    if (!draft || !name) return;
    // Said before the round trip; the server refuses the same (its unique key) if another tab got there first.
    if (mine.some((p) => p.name === name && (draft.mode === 'create' || p.id !== active?.id))) {
      setError(t('errors.nameTaken', { name }));
      return;
    }
    const fields = { name, systemPrompt: current.systemPrompt, parameters: current.parameters, shared: draft.shared };
    if (draft.mode === 'update' && active) update.mutate({ id: active.id, fields });
    else create.mutate(fields);
  }

  return (
    <div className="grid gap-2" data-testid="preset-controls">
      <FormField label={t('label')} description={list.length ? (active && !active.mine ? t('sharedBy', { author: active.author }) : undefined) : t('empty')}>
        {(control) => (
          <Select
            value={active?.id ?? ''}
            onValueChange={(id) => {
              const preset = list.find((p) => p.id === id);
              if (preset) onApply(preset);
            }}
            disabled={!list.length}
          >
            <SelectTrigger {...control} className="w-full min-w-0" data-testid="preset-select">
              <SelectValue placeholder={list.length ? t('placeholder') : t('none')} />
            </SelectTrigger>
            <SelectContent>
              {mine.length > 0 && (
                <SelectGroup>
                  <SelectLabel>{t('mine')}</SelectLabel>
                  {mine.map((p) => (
                    <SelectItem key={p.id} value={p.id}>
                      {p.shared ? t('sharedName', { name: p.name }) : p.name}
                    </SelectItem>
                  ))}
                </SelectGroup>
              )}
              {others.length > 0 && (
                <SelectGroup>
                  <SelectLabel>{t('shared')}</SelectLabel>
                  {others.map((p) => (
                    <SelectItem key={p.id} value={p.id}>
                      {t('byAuthor', { name: p.name, author: p.author })}
                    </SelectItem>
                  ))}
                </SelectGroup>
              )}
            </SelectContent>
          </Select>
        )}
      </FormField>
      {changed && (
        <p className="text-muted-foreground flex flex-wrap items-center gap-x-2 text-xs" data-testid="preset-changed">
          {t('changed')}
          <Button type="button" variant="link" size="sm" className="h-auto p-0 text-xs" onClick={() => onApply(active)}>
            {t('restore', { name: active.name })}
          </Button>
        </p>
      )}
      <div className="flex flex-wrap gap-2">
        <Button type="button" variant="outline" size="sm" onClick={() => (setError(null), setDraft({ mode: 'create', name: '', shared: false }))}>
          <Save aria-hidden /> {t('saveAs')}
        </Button>
        {active?.mine && (
          <>
            <Button type="button" variant="outline" size="sm" onClick={() => (setError(null), setDraft({ mode: 'update', name: active.name, shared: active.shared }))}>
              {t('update')}
            </Button>
            <Button type="button" variant="ghost" size="sm" onClick={() => setConfirmDelete(true)} aria-label={t('deleteFor', { name: active.name })}>
              <Trash2 aria-hidden /> {t('delete')}
            </Button>
          </>
        )}
      </div>
      <Dialog open={draft !== null} onOpenChange={(open) => !open && !pending && setDraft(null)}>
        <DialogContent className="sm:max-w-md">
          <form
            className="grid gap-4"
            onSubmit={(e) => {
              e.preventDefault();
              submit();
            }}
          >
            <DialogHeader>
              <DialogTitle>{draft?.mode === 'update' ? t('updateTitle', { name: active?.name ?? '' }) : t('saveTitle')}</DialogTitle>
              <DialogDescription>{t('saveDescription')}</DialogDescription>
            </DialogHeader>
            <FormField label={t('name')}>
              <Input value={draft?.name ?? ''} maxLength={PRESET_LIMITS.nameLength} onChange={(e) => setDraft((d) => d && { ...d, name: e.target.value })} autoFocus required />
            </FormField>
            <FormField label={t('share')} description={t('shareHint')} orientation="horizontal">
              <Switch checked={draft?.shared ?? false} onCheckedChange={(shared) => setDraft((d) => d && { ...d, shared })} />
            </FormField>
            {error && (
              <Alert variant="destructive" role="alert">
                <AlertDescription>{error}</AlertDescription>
              </Alert>
            )}
            <DialogFooter>
              <Button type="button" variant="outline" onClick={() => setDraft(null)} disabled={pending}>
                {t('cancel')}
              </Button>
              <Button type="submit" disabled={!name || pending}>
                {draft?.mode === 'update' ? t('update') : t('save')}
              </Button>
            </DialogFooter>
          </form>
        </DialogContent>
      </Dialog>
      <ConfirmDialog
        open={confirmDelete}
        onOpenChange={setConfirmDelete}
        title={t('deleteTitle', { name: active?.name ?? '' })}
        description={t('deleteDescription')}
        confirmLabel={t('delete')}
        onConfirm={async () => {
          if (!active) return;
          try {
            await remove.mutateAsync({ id: active.id });
          } catch (failure) {
            toast.error(sentence(failure as { data?: { reason?: string | null } }, active.name));
            throw failure;
          }
          toast.success(t('deleted', { name: active.name }));
          onForget();
          await refresh();
        }}
      />
    </div>
  );
}
