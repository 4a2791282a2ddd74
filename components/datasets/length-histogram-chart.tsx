'use client';

import { useTranslations } from 'next-intl';
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { binHistogram, type CharacterBucket } from '@/lib/universal/dataset-report';
import { useDatasetFormat } from '@/components/datasets/use-dataset-format';

/** Examples per length, in at most twelve bars spanning the shortest to the longest example. */
export function LengthHistogramChart({ histogram }: { histogram: readonly CharacterBucket[] }) {
  const t = useTranslations('datasets.detail');
  const fmt = useDatasetFormat();
  const bars = binHistogram(histogram);
  const data = bars.map((b) => ({
    label: b.max === null ? `${fmt.compact(b.min)}+` : `${fmt.compact(b.min)}–${fmt.compact(b.max)}`,
    name: b.max === null ? t('histogramLastBucket', { min: fmt.count(b.min) }) : t('histogramBucket', { min: fmt.count(b.min), max: fmt.count(b.max - 1) }),
    count: b.count,
  }));
  return (
    <figure className="grid gap-2" data-testid="length-histogram" data-buckets={data.length} data-range={`${bars[0]?.min ?? 0}–${bars.at(-1)?.max ?? ''}`}>
      <figcaption className="text-muted-foreground text-sm">{t('histogramDescription')}</figcaption>
      <div className="h-56 w-full" role="img" aria-label={data.map((d) => `${d.name}: ${t('histogramCount', { count: d.count })}`).join('; ')}>
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" vertical={false} />
            <XAxis dataKey="label" tickLine={false} fontSize={12} />
            <YAxis allowDecimals={false} tickLine={false} fontSize={12} width={40} />
            <Tooltip
              formatter={(value) => [t('histogramCount', { count: Number(value) }), '']}
              labelFormatter={(_label, payload) => (payload?.[0]?.payload as { name?: string } | undefined)?.name ?? ''}
            />
            <Bar dataKey="count" fill="var(--chart-1)" radius={[3, 3, 0, 0]} isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      </div>
    </figure>
  );
}
