'use client';

import { useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';
import { useTranslations } from 'next-intl';
import { Check, ChevronsUpDown, Search } from 'lucide-react';
import type { FormControlProps } from '@/components/ui/form-field';
import { cn } from '@/lib/utils';

export type PickerModel = { id: string; kind: 'base' | 'fine-tuned' | 'checkpoint' | 'alias'; baseModel: string; target?: string; job?: { id: string; name: string } };

type JobGroup = { id: string; name: string; models: PickerModel[] };
type BaseGroup = { name: string; models: PickerModel[]; jobs: JobGroup[] };

/** Base models in the order listed, each with its own options and its jobs (a job's fine-tune, then its checkpoints). */
function groupModels(models: PickerModel[]): BaseGroup[] {
  const bases = new Map<string, BaseGroup>();
  for (const model of models) {
    let base = bases.get(model.baseModel);
    if (!base) bases.set(model.baseModel, (base = { name: model.baseModel, models: [], jobs: [] }));
    if (!model.job) {
      base.models.push(model);
      continue;
    }
    let job = base.jobs.find((j) => j.id === model.job!.id);
    if (!job) base.jobs.push((job = { ...model.job, models: [] }));
    job.models.push(model);
  }
  return [...bases.values()];
}

/** Under its job, a checkpoint is told apart by its step: the name's last part. */
const checkpointLabel = (id: string) => id.slice(id.lastIndexOf(':') + 1);

function matches(model: PickerModel, words: string[]): boolean {
  const haystack = [model.id, model.baseModel, model.job?.name ?? '', model.job?.id ?? '', model.target ?? ''].join(' ').toLowerCase();
  return words.every((word) => haystack.includes(word));
}

type ModelPickerProps = {
  models: PickerModel[];
  value: string;
  onChange: (model: string) => void;
  /** The label, description and error wiring of the FormField around it. */
  control: FormControlProps;
  testId?: string;
};

/**
 * A searchable model list grouped by base model and by job, on the ARIA combobox pattern: the
 * trigger opens a panel whose search box keeps focus while the arrow keys move through the
 * options, Enter picks one and Escape closes it again.
 */
export function ModelPicker({ models, value, onChange, control, testId }: ModelPickerProps) {
  const t = useTranslations('playground.picker');
  const tk = useTranslations('serving.kinds');
  const listId = useId();
  const [open, setOpen] = useState(false);
  const [query, setQuery] = useState('');
  const [active, setActive] = useState(0);
  const trigger = useRef<HTMLButtonElement>(null);

  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const groups = groupModels(models.filter((m) => matches(m, words)));
  const visible = groups.flatMap((g) => [...g.models, ...g.jobs.flatMap((j) => j.models)]);
  const optionId = (index: number) => `${listId}-option-${index}`;
  const selected = models.find((m) => m.id === value);

  useEffect(() => {
    if (open) document.getElementById(optionId(active))?.scrollIntoView({ block: 'nearest' });
  }, [open, active]);

  function show() {
    setQuery('');
    const order = groupModels(models).flatMap((g) => [...g.models, ...g.jobs.flatMap((j) => j.models)]);
    setActive(Math.max(0, order.findIndex((m) => m.id === value)));
    setOpen(true);
  }

  function close(refocus: boolean) {
    setOpen(false);
    if (refocus) trigger.current?.focus();
  }

  function pick(model: PickerModel) {
    onChange(model.id);
    close(true);
  }

  function onSearchKey(event: KeyboardEvent<HTMLInputElement>) {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      if (visible.length) setActive((i) => (i + (event.key === 'ArrowDown' ? 1 : visible.length - 1)) % visible.length);
    } else if (event.key === 'Home' && visible.length) {
      event.preventDefault();
      setActive(0);
    } else if (event.key === 'End' && visible.length) {
      event.preventDefault();
      setActive(visible.length - 1);
    } else if (event.key === 'Enter') {
      event.preventDefault();
      const model = visible[active];
      if (model) pick(model);
    } else if (event.key === 'Escape') {
      event.preventDefault();
      close(true);
    } else if (event.key === 'Tab') {
      close(false);
    }
  }

  let index = -1;
  const option = (model: PickerModel, inJob: boolean) => {
    index += 1;
    const i = index;
    return (
      <div
        key={model.id}
        id={optionId(i)}
        role="option"
        aria-selected={model.id === value}
        data-model={model.id}
        onMouseDown={(e) => e.preventDefault()}
        onMouseMove={() => setActive(i)}
        onClick={() => pick(model)}
        className={cn('flex min-w-0 cursor-default items-center gap-2 rounded-sm py-1.5 pr-2 text-sm', !inJob ? 'pl-2' : model.kind === 'checkpoint' ? 'pl-10' : 'pl-6', i === active && 'bg-accent text-accent-foreground')}
      >
        <Check aria-hidden className={cn('size-4 shrink-0', model.id === value ? 'opacity-100' : 'opacity-0')} />
        <span className="min-w-0 flex-1 truncate font-mono text-xs" title={model.id}>
          {inJob && model.kind === 'checkpoint' ? checkpointLabel(model.id) : model.id}
        </span>
        <span className="text-muted-foreground shrink-0 text-xs">· {tk(model.kind)}</span>
      </div>
    );
  };

  return (
    <div
      className="relative min-w-0"
      onBlur={(e) => {
        if (open && !e.currentTarget.contains(e.relatedTarget as Node | null)) close(false);
      }}
    >
      <button
        {...control}
        ref={trigger}
        type="button"
        role="combobox"
        aria-haspopup="listbox"
        aria-expanded={open}
        aria-controls={open ? listId : undefined}
        data-testid={testId}
        onClick={() => (open ? close(false) : show())}
        onKeyDown={(e) => {
          if (!open && (e.key === 'ArrowDown' || e.key === 'ArrowUp')) {
            e.preventDefault();
            show();
          }
        }}
        className="border-input focus-visible:border-ring focus-visible:ring-ring/50 dark:bg-input/30 flex h-9 w-full min-w-0 items-center justify-between gap-2 rounded-md border bg-transparent px-3 py-2 text-left text-sm shadow-xs outline-none focus-visible:ring-[3px]"
      >
        {selected ? (
          <span className="min-w-0 truncate">
            <span className="font-mono text-xs">{selected.id}</span> <span className="text-muted-foreground text-xs">· {tk(selected.kind)}</span>
          </span>
        ) : (
          <span className="text-muted-foreground truncate">{t('placeholder')}</span>
        )}
        <ChevronsUpDown aria-hidden className="size-4 shrink-0 opacity-50" />
      </button>
      {open && (
        <div className="bg-popover text-popover-foreground absolute inset-x-0 top-full z-50 mt-1 grid min-w-0 gap-1 rounded-md border p-1 shadow-md">
          <div className="flex items-center gap-2 border-b px-2 pb-1">
            <Search aria-hidden className="text-muted-foreground size-4 shrink-0" />
            <input
              autoFocus
              role="combobox"
              aria-label={t('search')}
              aria-expanded
              aria-controls={listId}
              aria-autocomplete="list"
              aria-activedescendant={visible.length ? optionId(active) : undefined}
              value={query}
              onChange={(e) => {
                setQuery(e.target.value);
                setActive(0);
              }}
              onKeyDown={onSearchKey}
              placeholder={t('searchPlaceholder')}
              className="placeholder:text-muted-foreground h-8 w-full min-w-0 bg-transparent text-sm outline-none"
              data-testid={testId ? `${testId}-search` : undefined}
            />
          </div>
          <div id={listId} role="listbox" aria-label={t('list')} className="max-h-80 overflow-y-auto">
            {groups.map((group) => (
              <div key={group.name} role="group" aria-label={t('base', { name: group.name })} data-testid="picker-base-group" data-base-model={group.name}>
                <div aria-hidden className="text-muted-foreground truncate px-2 pt-2 pb-1 text-xs font-medium">
                  {t('base', { name: group.name })}
                </div>
                {group.models.map((m) => option(m, false))}
                {group.jobs.map((job) => (
                  <div key={job.id} role="group" aria-label={t('job', { name: job.name })} data-testid="picker-job-group" data-job={job.id}>
                    <div aria-hidden className="text-muted-foreground truncate py-1 pr-2 pl-6 text-xs">
                      {t('job', { name: job.name })}
                    </div>
                    {job.models.map((m) => option(m, true))}
                  </div>
                ))}
              </div>
            ))}
            {visible.length === 0 && (
              <p role="status" className="text-muted-foreground px-2 py-4 text-center text-sm">
                {t('noMatch')}
              </p>
            )}
          </div>
        </div>
      )}
    </div>
  );
}
