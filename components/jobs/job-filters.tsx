'use client';

// The jobs list's filters (search by suffix or id, status, base model, dataset), shared by the Jobs
// page and the compare view's run picker so both find runs the same way.
import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useTranslations } from 'next-intl';
import { Input } from '@/components/ui/input';
import { useDebounced } from '@/components/common/use-debounced';
import { Label } from '@/components/ui/label';
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from '@/components/ui/select';
import { useTRPC } from '@/lib/trpc/client';
import { cn } from '@/lib/utils';

const ANY = '__any';
export const JOB_STATUSES = ['validating_files', 'queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
type JobStatusFilter = (typeof JOB_STATUSES)[number];

export type JobFilterValues = { status: string; model: string; dataset: string; search: string };

/** The filter's state, and what job.list takes for it (the search debounced while typing). */
export function useJobFilters(onChange?: () => void) {
  const [filter, setFilter] = useState<JobFilterValues>({ status: ANY, model: ANY, dataset: ANY, search: '' });
  const search = useDebounced(filter.search.trim(), 250);
  const query = {
    status: filter.status === ANY ? null : (filter.status as JobStatusFilter),
    model: filter.model === ANY ? null : filter.model,
    dataset: filter.dataset === ANY ? null : filter.dataset,
    search: search || null,
  };
  const change = (patch: Partial<JobFilterValues>) => {
    setFilter((f) => ({ ...f, ...patch }));
    onChange?.();
  };
  return {
    filter,
    query,
    filtered: Object.values(query).some((v) => v !== null),
    change,
    clear: () => change({ status: ANY, model: ANY, dataset: ANY, search: '' }),
  };
}

export function JobFilters({ idPrefix, filter, onChange, className }: { idPrefix: string; filter: JobFilterValues; onChange: (patch: Partial<JobFilterValues>) => void; className?: string }) {
  const t = useTranslations('jobs');
  const trpc = useTRPC();
  const models = useQuery(trpc.model.list.queryOptions());
  const datasets = useQuery(trpc.dataset.list.queryOptions({ purpose: 'fine-tune' }));
  return (
    <div className={cn('grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-4', className)} data-testid="job-filters">
      <div className="grid gap-1.5">
        <Label htmlFor={`${idPrefix}-search`}>{t('filters.search')}</Label>
        <Input id={`${idPrefix}-search`} type="search" value={filter.search} placeholder={t('filters.searchPlaceholder')} onChange={(e) => onChange({ search: e.target.value })} />
      </div>
      <FilterSelect id={`${idPrefix}-status`} label={t('filters.status')} value={filter.status} onChange={(status) => onChange({ status })} any={t('filters.anyStatus')} options={JOB_STATUSES.map((s) => ({ value: s, label: t(`filters.statuses.${s}`) }))} />
      <FilterSelect id={`${idPrefix}-model`} label={t('filters.model')} value={filter.model} onChange={(model) => onChange({ model })} any={t('filters.anyModel')} options={(models.data ?? []).map((m) => ({ value: m.name, label: m.name }))} />
      <FilterSelect id={`${idPrefix}-dataset`} label={t('filters.dataset')} value={filter.dataset} onChange={(dataset) => onChange({ dataset })} any={t('filters.anyDataset')} options={(datasets.data ?? []).map((d) => ({ value: d.id, label: d.name }))} />
    </div>
  );
}

function FilterSelect({ id, label, value, onChange, any, options }: { id: string; label: string; value: string; onChange: (value: string) => void; any: string; options: ReadonlyArray<{ value: string; label: string }> }) {
  return (
    <div className="grid min-w-0 gap-1.5">
      <Label htmlFor={id}>{label}</Label>
      <Select value={value} onValueChange={onChange}>
        <SelectTrigger id={id} className="w-full min-w-0">
          <SelectValue />
        </SelectTrigger>
        <SelectContent>
          <SelectItem value={ANY}>{any}</SelectItem>
          {options.map((o) => (
            <SelectItem key={o.value} value={o.value}>
              {o.label}
            </SelectItem>
          ))}
        </SelectContent>
      </Select>
    </div>
  );
}
