'use client';

import { useQuery } from '@tanstack/react-query';
import { useTranslations } from 'next-intl';
import { FormField } from '@/components/ui/form-field';
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from '@/components/ui/select';
import { Switch } from '@/components/ui/switch';
import { useTRPC } from '@/lib/trpc/client';

export interface EvalOnSuccessValue {
  enabled: boolean;
  /** An eval set of the project; empty for the job's validation file. */
  evalSetId: string;
}

const VALIDATION_FILE = '__validation_file__';

/** The job option that evaluates the fine-tune against its base when the job succeeds (exact match). */
export function EvalOnSuccessField({ value, onChange, hasValidationFile }: { value: EvalOnSuccessValue; onChange: (next: EvalOnSuccessValue) => void; hasValidationFile: boolean }) {
  const t = useTranslations('evals.onSuccess');
  const trpc = useTRPC();
  const evalSets = useQuery(trpc.dataset.list.queryOptions({ purpose: 'evals' }));
  const usable = (evalSets.data ?? []).filter((s) => s.status === 'VALID');
  const missingFile = value.enabled && !value.evalSetId && !hasValidationFile;

  return (
    <div className="grid gap-3">
      <FormField label={t('label')} description={t('hint')} orientation="horizontal">
        <Switch checked={value.enabled} onCheckedChange={(enabled) => onChange({ ...value, enabled })} data-testid="eval-on-success-switch" />
      </FormField>
      {value.enabled && (
        <FormField label={t('set')} error={missingFile ? t('needsFile') : undefined}>
          {(control) => (
            <Select value={value.evalSetId || VALIDATION_FILE} onValueChange={(v) => onChange({ ...value, evalSetId: v === VALIDATION_FILE ? '' : v })}>
              <SelectTrigger {...control} className="w-full" data-testid="eval-on-success-set">
                <SelectValue />
              </SelectTrigger>
              <SelectContent>
                <SelectItem value={VALIDATION_FILE}>{t('validationFile')}</SelectItem>
                {usable.map((s) => (
                  <SelectItem key={s.id} value={s.id}>
                    <span className="break-all">{s.name}</span>
                  </SelectItem>
                ))}
              </SelectContent>
            </Select>
          )}
        </FormField>
      )}
    </div>
  );
}

/** The `evaluation` option of the job's request, or nothing when the switch is off. */
export function evaluationOption(value: EvalOnSuccessValue) {
  if (!value.enabled) return {};
  return { evaluation: { ...(value.evalSetId ? { evalSetId: value.evalSetId } : {}), grader: { type: 'exact_match' as const } } };
}
