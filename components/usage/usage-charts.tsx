'use client';

import * as React from 'react';
import { useQuery } from '@tanstack/react-query';
import { useFormatter, useTranslations } from 'next-intl';
import { BarChart3, Download } from 'lucide-react';
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { FormField } from '@/components/ui/form-field';
import { Input } from '@/components/ui/input';
import { EmptyState } from '@/components/common/empty-state';
import { useTRPC } from '@/lib/trpc/client';
import { downloadCsv } from './csv';
import { StatementTable } from './statement-table';

type Split = 'model' | 'project' | 'key';
type Metric = 'credits' | 'tokens';
const COLORS = ['var(--chart-1)', 'var(--chart-2)', 'var(--chart-3)', 'var(--chart-4)', 'var(--chart-5)'];
const selectClass = 'border-input bg-background focus-visible:border-ring focus-visible:ring-ring/50 h-9 w-full rounded-md border px-3 text-sm shadow-xs outline-none focus-visible:ring-[3px]';
const isoDay = (d: Date) => d.toISOString().slice(0, 10);

export function UsageCharts() {
  const t = useTranslations('billing.usage');
  const format = useFormatter();
  const trpc = useTRPC();
  const [from, setFrom] = React.useState(() => isoDay(new Date(Date.now() - 29 * 86_400_000)));
  const [to, setTo] = React.useState(() => isoDay(new Date()));
  const [split, setSplit] = React.useState<Split>('model');
  const [metric, setMetric] = React.useState<Metric>('credits');
  const validRange = Boolean(from && to && from <= to);
  const series = useQuery({ ...trpc.billing.usageSeries.queryOptions({ from, to }), enabled: validRange });

  const label = React.useCallback(
    (p: { kind: string; model: string; projectName: string; apiKeyName: string | null }) =>
      split === 'model' ? (p.kind === 'fine-tuning' ? t('fineTuning', { model: p.model }) : p.kind === 'deployment' ? t('deploymentHours', { model: p.model }) : p.model) : split === 'project' ? p.projectName : (p.apiKeyName ?? t('noKey')),
    [split, t],
  );
  const { data, groups } = React.useMemo(() => {
    const byDay = new Map<string, Record<string, number | string>>();
    const names = new Set<string>();
    for (const p of series.data ?? []) {
      const name = label(p);
      names.add(name);
      const row = byDay.get(p.day) ?? { day: p.day };
      row[name] = Number(row[name] ?? 0) + p[metric];
      byDay.set(p.day, row);
    }
    return { data: [...byDay.values()], groups: [...names] };
  }, [series.data, label, metric]);

  const exportCsv = () =>
    downloadCsv(`lathe-usage-${from}-${to}.csv`, [
      ['day', 'kind', 'model', 'project', 'api_key', 'credits', 'tokens'],
      ...(series.data ?? []).map((p) => [p.day, p.kind, p.model, p.projectName, p.apiKeyName, p.credits, p.tokens]),
    ]);

  return (
    <>
      <Card>
        <CardHeader>
          <CardTitle>{t('title')}</CardTitle>
          <CardDescription>{t('description')}</CardDescription>
        </CardHeader>
        <CardContent className="grid gap-4">
          <div className="grid gap-3 sm:grid-cols-4">
            <FormField label={t('from')} error={validRange ? undefined : t('invalidRange')}>
              <Input type="date" value={from} max={to} onChange={(e) => setFrom(e.target.value)} />
            </FormField>
            <FormField label={t('to')}>
              <Input type="date" value={to} min={from} onChange={(e) => setTo(e.target.value)} />
            </FormField>
            <FormField label={t('splitBy')}>
              <select className={selectClass} value={split} onChange={(e) => setSplit(e.target.value as Split)}>
                {(['model', 'project', 'key'] as const).map((s) => (
                  <option key={s} value={s}>
                    {t(`split.${s}`)}
                  </option>
                ))}
              </select>
            </FormField>
            <FormField label={t('metric')}>
              <select className={selectClass} value={metric} onChange={(e) => setMetric(e.target.value as Metric)}>
                {(['credits', 'tokens'] as const).map((m) => (
                  <option key={m} value={m}>
                    {t(`metrics.${m}`)}
                  </option>
                ))}
              </select>
            </FormField>
          </div>
          {series.data && series.data.length === 0 ? (
            <EmptyState icon={<BarChart3 />} title={t('empty')} />
          ) : (
            <figure className="grid gap-2" data-testid="usage-chart">
              <div className="h-72 w-full" role="img" aria-label={t('chartLabel', { metric: t(`metrics.${metric}`), split: t(`split.${split}`), from, to })}>
                <ResponsiveContainer width="100%" height="100%">
                  <BarChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
                    <CartesianGrid strokeDasharray="3 3" vertical={false} />
                    <XAxis dataKey="day" tickLine={false} fontSize={12} tickFormatter={(d: string) => format.dateTime(new Date(`${d}T00:00:00Z`), { month: 'short', day: 'numeric', timeZone: 'UTC' })} />
                    <YAxis tickLine={false} fontSize={12} width={56} tickFormatter={(v: number) => format.number(v, { notation: 'compact' })} />
                    <Tooltip formatter={(v) => format.number(Number(v), { maximumFractionDigits: 6 })} />
                    <Legend wrapperStyle={{ fontSize: 12, color: 'var(--foreground)' }} />
                    {groups.map((g, i) => (
                      <Bar key={g} dataKey={g} stackId="usage" fill={COLORS[i % COLORS.length]} isAnimationActive={false} />
                    ))}
                  </BarChart>
                </ResponsiveContainer>
              </div>
            </figure>
          )}
          <div>
            <Button variant="outline" onClick={exportCsv} disabled={!series.data || series.data.length === 0}>
              <Download aria-hidden /> {t('csv')}
            </Button>
          </div>
        </CardContent>
      </Card>
      {validRange && <StatementTable from={from} to={to} />}
    </>
  );
}
