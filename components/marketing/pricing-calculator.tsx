'use client';

import { useId, useState } from 'react';
import { useFormatter, useTranslations } from 'next-intl';
import { estimateTrainingCredits } from '@/lib/universal/estimate-cost';
import { sizeClassOf, type PriceBook } from '@/lib/universal/price-book';
import { creditsToMoney } from './price-book-source';

type Fields = { examples: string; tokensPerExample: string; epochs: string; modelSize: string };

function parse(fields: Fields) {
  const examples = Number(fields.examples);
  const tokens = Number(fields.tokensPerExample);
  const epochs = Number(fields.epochs);
  const sizeB = Number(fields.modelSize.replace(',', '.'));
  const ok = Number.isInteger(examples) && examples >= 1 && Number.isInteger(tokens) && tokens >= 1 && Number.isInteger(epochs) && epochs >= 1 && epochs <= 100 && Number.isFinite(sizeB) && sizeB > 0;
  return ok ? { examples, tokens, epochs, parameters: sizeB * 1e9 } : null;
}

/** The pricing page's island: the product's own estimate over a dataset described by its size. */
export function PricingCalculator({ book }: { book: Pick<PriceBook, 'training' | 'creditValue' | 'currency'> }) {
  const t = useTranslations('pricing.calculator');
  const tSizes = useTranslations('pricing.sizes');
  const format = useFormatter();
  const id = useId();
  const [fields, setFields] = useState<Fields>({ examples: '2000', tokensPerExample: '250', epochs: '3', modelSize: '1.7' });
  const input = parse(fields);
  const sizeClass = input ? sizeClassOf(input.parameters) : null;
  const estimate = input && sizeClass ? estimateTrainingCredits({ trainedTokens: input.examples * input.tokens, epochs: input.epochs, pricePerMillionTokens: book.training[sizeClass] }) : null;

  const field = (name: keyof Fields, label: string, props: React.InputHTMLAttributes<HTMLInputElement>, hint?: string) => (
    <div className="grid gap-1.5">
      <label htmlFor={`${id}-${name}`} className="text-sm font-medium">
        {label}
      </label>
      <input
        id={`${id}-${name}`}
        name={name}
        value={fields[name]}
        onChange={(e) => setFields((f) => ({ ...f, [name]: e.target.value }))}
        className="border-input focus-visible:ring-ring bg-background h-9 rounded-md border px-3 text-sm outline-none focus-visible:ring-2"
        aria-describedby={hint ? `${id}-${name}-hint` : undefined}
        inputMode="decimal"
        {...props}
      />
      {hint && (
        <p id={`${id}-${name}-hint`} className="text-muted-foreground text-xs">
          {hint}
        </p>
      )}
    </div>
  );

  return (
    <form className="bg-card grid gap-6 rounded-xl border p-5 sm:p-6 md:grid-cols-2" onSubmit={(e) => e.preventDefault()}>
      <div className="grid content-start gap-4">
        {field('examples', t('examples'), { type: 'number', min: 1, step: 1 })}
        {field('tokensPerExample', t('tokensPerExample'), { type: 'number', min: 1, step: 1 }, t('tokensHint'))}
        {field('epochs', t('epochs'), { type: 'number', min: 1, max: 100, step: 1 })}
        {field('modelSize', t('modelSize'), { type: 'number', min: 0.01, step: 'any' })}
      </div>
      <div className="bg-muted/50 grid content-start gap-3 rounded-lg p-4" aria-live="polite">
        {estimate && sizeClass ? (
          <dl className="grid gap-3">
            <div>
              <dt className="text-muted-foreground text-sm">{t('billedTokens')}</dt>
              <dd className="text-lg font-medium tabular-nums">{format.number(estimate.billedTokens)}</dd>
            </div>
            <div>
              <dt className="text-muted-foreground text-sm">{t('credits')}</dt>
              <dd className="text-lg font-medium tabular-nums">
                {format.number(estimate.credits, { maximumFractionDigits: 2 })} <span className="text-muted-foreground text-sm font-normal">({tSizes(sizeClass)})</span>
              </dd>
            </div>
            <div>
              <dt className="text-muted-foreground text-sm">{t('cost')}</dt>
              <dd className="text-3xl font-semibold tabular-nums">{format.number(creditsToMoney(estimate.credits, book), { style: 'currency', currency: book.currency.toUpperCase() })}</dd>
            </div>
          </dl>
        ) : (
          <p role="alert" className="text-destructive text-sm">
            {t('invalid')}
          </p>
        )}
      </div>
    </form>
  );
}
