'use client';

// How a job's hyperparameters read on the job page and in the compare view: one label and one
// formatting per setting, "auto" where the job left it to Lathe and the files are not validated yet.
import { useFormatter, useTranslations } from 'next-intl';
import { LORA_TARGET_MODULES, LR_SCHEDULERS, type TLrScheduler } from '@/lib/universal/hyperparameters';

export const HYPERPARAMETER_KEYS = [
  'n_epochs',
  'batch_size',
  'learning_rate_multiplier',
  'lora_rank',
  'lora_alpha',
  'lora_dropout',
  'lora_target_modules',
  'max_sequence_length',
  'lr_scheduler',
  'warmup_ratio',
] as const;
export type HyperparameterKey = (typeof HYPERPARAMETER_KEYS)[number];

export function useHyperparameterFormat() {
  const t = useTranslations('jobs.form.advanced');
  const format = useFormatter();
  const label = (key: HyperparameterKey) => t(key);
  const display = (key: HyperparameterKey, value: unknown): string => {
    if (typeof value === 'number') return format.number(value, { maximumSignificantDigits: 4 });
    if (key === 'lora_target_modules' && Array.isArray(value)) return value.length === LORA_TARGET_MODULES.length ? t('allModules') : value.join(', ');
    if (key === 'lr_scheduler' && LR_SCHEDULERS.includes(value as TLrScheduler)) return t(`schedulers.${value as TLrScheduler}`);
    return t('auto');
  };
  return { label, display };
}
