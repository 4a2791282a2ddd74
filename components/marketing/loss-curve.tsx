import { getFormatter, getTranslations } from 'next-intl/server';
import type { Locale } from '@/i18n/locales';

const STEPS = 120;

/** A plausible LoRA loss curve: exponential fall to a floor with seeded noise (same every build). */
function lossSeries(): number[] {
  let seed = 17;
  const noise = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31 - 0.5;
  };
  return Array.from({ length: STEPS }, (_, i) => 0.62 + 1.9 * Math.exp(-i / 22) + noise() * 0.09 * Math.exp(-i / 80));
}

/** The landing page's illustration: a training loss chart drawn as SVG, animated like a live job. */
export async function LossCurve({ locale }: { locale: Locale }) {
  const t = await getTranslations({ locale, namespace: 'home.loop.chart' });
  const format = await getFormatter({ locale });
  const series = lossSeries();
  const [w, h, pad] = [560, 240, 32];
  const max = 2.7;
  const x = (i: number) => pad + (i / (STEPS - 1)) * (w - pad * 1.5);
  const y = (v: number) => h - pad - (v / max) * (h - pad * 1.6);
  const line = series.map((v, i) => `${i ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
  const last = series[STEPS - 1]!;
  const ticks = [0, 1, 2];
  return (
    <figure className="bg-card rounded-xl border p-4 shadow-sm">
      <svg
        viewBox={`0 0 ${w} ${h}`}
        role="img"
        aria-label={t('label', { first: format.number(series[0]!, { maximumFractionDigits: 2 }), last: format.number(last, { maximumFractionDigits: 2 }), steps: STEPS })}
        className="h-auto w-full"
      >
        {ticks.map((v) => (
          <g key={v}>
            <line x1={pad} x2={w - pad / 2} y1={y(v)} y2={y(v)} className="stroke-border" strokeDasharray="3 4" />
            <text x={pad - 8} y={y(v) + 4} textAnchor="end" className="fill-muted-foreground text-[11px]">
              {format.number(v)}
            </text>
          </g>
        ))}
        <text x={w - pad / 2} y={h - 8} textAnchor="end" className="fill-muted-foreground text-[11px]">
          {t('step')} →
        </text>
        <text x={pad} y={14} className="fill-muted-foreground text-[11px]">
          {t('loss')}
        </text>
        <path d={line} pathLength={1} className="stroke-primary loss-curve-line" fill="none" strokeWidth="2.2" strokeLinejoin="round" />
        <circle cx={x(STEPS - 1)} cy={y(last)} r="4.5" className="fill-primary loss-curve-dot" />
        <g transform={`translate(${w - pad / 2 - 52}, 20)`}>
          <circle cx="6" cy="-4" r="4" className="fill-success loss-curve-dot" />
          <text x="16" y="0" className="fill-muted-foreground text-[11px]">
            {t('live')}
          </text>
        </g>
      </svg>
    </figure>
  );
}
