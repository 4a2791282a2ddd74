'use client';

import Link from 'next/link';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslations } from 'next-intl';
import { CheckCircle2, Circle } from 'lucide-react';
import { toast } from 'sonner';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { useTRPC } from '@/lib/trpc/client';
import { SAMPLE_DATASET, SAMPLE_DATASET_FILENAME } from '@/lib/universal/sample-dataset';

const STEPS = [
  { key: 'credits', href: '/usage' },
  { key: 'dataset', href: '/datasets' },
  { key: 'model', href: '/models' },
  { key: 'job', href: '/jobs/new' },
  { key: 'chat', href: '/playground' },
  { key: 'apiKey', href: '/api-keys' },
] as const;

/**
 * The first steps on Lathe, each ticked off from what the project already has (the server reads
 * it from its rows), so the list follows the user and disappears once every step is done.
 */
export function FirstRunChecklist() {
  const t = useTranslations('dashboard.checklist');
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const checklist = useQuery(trpc.project.checklist.queryOptions());
  const sample = useMutation(
    trpc.dataset.createFromText.mutationOptions({
      onSuccess: () => {
        toast.success(t('sampleAdded'));
        void queryClient.invalidateQueries({ queryKey: trpc.dataset.list.queryKey() });
        void queryClient.invalidateQueries({ queryKey: trpc.project.checklist.queryKey() });
      },
      onError: (error) => toast.error(error.message),
    }),
  );
  const done = checklist.data;
  if (!done || STEPS.every((s) => done[s.key])) return null;
  const count = STEPS.filter((s) => done[s.key]).length;

  return (
    <Card data-testid="first-run-checklist" aria-labelledby="first-run-title">
      <CardHeader>
        <CardTitle id="first-run-title">{t('title')}</CardTitle>
        <CardDescription>{t('progress', { done: count, total: STEPS.length })}</CardDescription>
      </CardHeader>
      <CardContent>
        <ol className="grid gap-3">
          {STEPS.map((step) => {
            const ticked = done[step.key];
            return (
              <li key={step.key} className="flex min-w-0 items-start gap-3" data-testid="checklist-step" data-step={step.key} data-done={ticked}>
                {ticked ? <CheckCircle2 className="text-success mt-0.5 size-5 shrink-0" aria-hidden /> : <Circle className="text-muted-foreground mt-0.5 size-5 shrink-0" aria-hidden />}
                <div className="grid min-w-0 gap-1">
                  <span className={ticked ? 'text-muted-foreground text-sm line-through' : 'text-sm font-medium'}>
                    <span className="sr-only">{ticked ? t('doneLabel') : t('todoLabel')} </span>
                    {t(`steps.${step.key}.title`)}
                  </span>
                  {!ticked && (
                    <span className="text-muted-foreground text-sm">
                      {t(`steps.${step.key}.hint`)}{' '}
                      <Link href={step.href} className="text-foreground underline underline-offset-4">
                        {t(`steps.${step.key}.link`)}
                      </Link>
                    </span>
                  )}
                  {!ticked && step.key === 'dataset' && (
                    <div>
                      <Button
                        size="sm"
                        variant="outline"
                        disabled={sample.isPending}
                        onClick={() => sample.mutate({ filename: SAMPLE_DATASET_FILENAME, content: SAMPLE_DATASET, name: SAMPLE_DATASET_FILENAME })}
                      >
                        {t('useSample')}
                      </Button>
                    </div>
                  )}
                </div>
              </li>
            );
          })}
        </ol>
      </CardContent>
    </Card>
  );
}
