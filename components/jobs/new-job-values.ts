// The new-job form's values and their conversion to job.create / job.estimate input. The limits
// are the server's own zod schemas, so the form refuses exactly what the API would.
import { LORA_TARGET_MODULES, ZDpoHyperparameters, ZHyperparameters, type TFineTuneMethod, type THyperparameters, type TLoraTargetModule, type TLrScheduler, type TPreset } from '@/lib/universal/hyperparameters';

export const PRESETS = ['quick', 'standard', 'thorough'] as const satisfies readonly TPreset[];

export type HyperparameterName = 'n_epochs' | 'batch_size' | 'learning_rate_multiplier' | 'lora_rank' | 'lora_alpha' | 'lora_dropout' | 'max_sequence_length' | 'warmup_ratio';
/** The numeric settings, typed as text: OpenAI's three, then the LoRA shape, the length and the warmup. */
export const HYPERPARAMETERS: readonly HyperparameterName[] = ['n_epochs', 'batch_size', 'learning_rate_multiplier', 'lora_rank', 'lora_alpha', 'lora_dropout', 'max_sequence_length', 'warmup_ratio'];
/** Those with a fractional value (the keyboard offers a decimal point). */
export const DECIMAL_HYPERPARAMETERS: ReadonlySet<HyperparameterName> = new Set(['learning_rate_multiplier', 'lora_alpha', 'lora_dropout', 'warmup_ratio']);
/** Every setting under "Advanced" with an error of its own (the form opens the section to show it). */
export const ADVANCED_FIELDS: readonly FieldName[] = [...HYPERPARAMETERS, 'lora_target_modules', 'lr_scheduler', 'seed'];

/** What the user typed: an empty hyperparameter (or "auto") means "auto". */
export interface NewJobValues {
  model: string;
  trainingFile: string;
  validationFile: string;
  suffix: string;
  preset: TPreset;
  hyperparameters: Record<HyperparameterName, string>;
  /** "auto" (all seven), or the layers chosen. */
  targetModules: 'auto' | TLoraTargetModule[];
  scheduler: 'auto' | TLrScheduler;
  seed: string;
  /** Stop when the validation loss stops improving (patience 3), and keep the best checkpoint. */
  earlyStopping: boolean;
  method: TFineTuneMethod;
  /** DPO only; empty means "auto". */
  beta: string;
}

export const emptyNewJobValues = (prefill: { model?: string; trainingFile?: string } = {}): NewJobValues => ({
  model: prefill.model ?? '',
  trainingFile: prefill.trainingFile ?? '',
  validationFile: '',
  suffix: '',
  preset: 'standard',
  hyperparameters: Object.fromEntries(HYPERPARAMETERS.map((name) => [name, ''])) as Record<HyperparameterName, string>,
  targetModules: 'auto',
  scheduler: 'auto',
  seed: '',
  earlyStopping: false,
  method: 'supervised',
  beta: '',
});

export type FieldName = 'model' | 'trainingFile' | 'validationFile' | 'suffix' | 'seed' | 'beta' | HyperparameterName | 'lora_target_modules' | 'lr_scheduler';
/** Keys under jobs.form.errors. */
export type FieldErrorKey = 'required' | 'suffix' | 'seed' | 'beta' | HyperparameterName | 'lora_target_modules' | 'sameFile';
export const FIELD_ERROR_KEYS: ReadonlySet<string> = new Set<FieldErrorKey>(['required', 'suffix', 'seed', 'beta', 'sameFile', 'lora_target_modules', ...HYPERPARAMETERS]);

const SUFFIX = /^[a-zA-Z0-9_-]{0,64}$/;
const MAX_SEED = 2_147_483_647;

function parseNumber(text: string): number | null {
  const trimmed = text.trim();
  if (!/^[+]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(trimmed)) return null;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : null;
}

const OPENAI_HYPERPARAMETERS: ReadonlySet<HyperparameterName> = new Set(['n_epochs', 'batch_size', 'learning_rate_multiplier']);

const isAuto = (text: string) => text.trim() === '' || text.trim().toLowerCase() === 'auto';

/** The hyperparameters as the API takes them, and which fields are not valid. */
export function parseHyperparameters(values: Pick<NewJobValues, 'hyperparameters' | 'targetModules' | 'scheduler'>): { hyperparameters: THyperparameters; errors: Partial<Record<HyperparameterName | 'lora_target_modules', FieldErrorKey>> } {
  const hyperparameters: THyperparameters = {};
  const errors: Partial<Record<HyperparameterName | 'lora_target_modules', FieldErrorKey>> = {};
  // Only the settings the user changed are sent, so a job's request reads as what was asked for.
  if (values.targetModules !== 'auto') {
    const parsed = ZHyperparameters.shape.lora_target_modules.safeParse(LORA_TARGET_MODULES.filter((m) => (values.targetModules as string[]).includes(m)));
    if (parsed.success) hyperparameters.lora_target_modules = parsed.data;
    else errors.lora_target_modules = 'lora_target_modules';
  }
  if (values.scheduler !== 'auto') hyperparameters.lr_scheduler = values.scheduler;
  for (const name of HYPERPARAMETERS) {
    const text = values.hyperparameters[name];
    if (isAuto(text)) {
      if (OPENAI_HYPERPARAMETERS.has(name)) hyperparameters[name] = 'auto';
      continue;
    }
    const parsed = ZHyperparameters.shape[name].safeParse(parseNumber(text));
    if (parsed.success && parsed.data !== undefined) (hyperparameters as Record<string, unknown>)[name] = parsed.data;
    else errors[name] = name;
  }
  return { hyperparameters, errors };
}

export type CreateJobInput = {
  model: string;
  training_file: string;
  validation_file?: string | null;
  hyperparameters?: THyperparameters;
  preset: TPreset;
  suffix?: string | null;
  seed?: number | null;
  early_stopping?: { patience: number } | null;
  method?: { type: 'dpo'; dpo: { hyperparameters: THyperparameters & { beta: number | 'auto' } } };
};

/** Either the job.create input or the errors to show beside each field. */
export function toCreateJobInput(values: NewJobValues): { input: CreateJobInput; errors: null } | { input: null; errors: Partial<Record<FieldName, FieldErrorKey>> } {
  const errors: Partial<Record<FieldName, FieldErrorKey>> = {};
  if (!values.model) errors.model = 'required';
  if (!values.trainingFile) errors.trainingFile = 'required';
  if (values.validationFile && values.validationFile === values.trainingFile) errors.validationFile = 'sameFile';
  const suffix = values.suffix.trim();
  if (!SUFFIX.test(suffix)) errors.suffix = 'suffix';
  let seed: number | null = null;
  if (values.seed.trim() !== '') {
    const parsed = parseNumber(values.seed);
    if (parsed === null || !Number.isInteger(parsed) || parsed > MAX_SEED) errors.seed = 'seed';
    else seed = parsed;
  }
  const hp = parseHyperparameters(values);
  Object.assign(errors, hp.errors);
  let beta: number | 'auto' = 'auto';
  if (values.method === 'dpo' && !isAuto(values.beta)) {
    const parsed = ZDpoHyperparameters.shape.beta.safeParse(parseNumber(values.beta));
    if (parsed.success && typeof parsed.data === 'number') beta = parsed.data;
    else errors.beta = 'beta';
  }
  if (Object.keys(errors).length > 0) return { input: null, errors };
  // A DPO job takes its hyperparameters under method.dpo, as OpenAI's API does.
  const settings = values.method === 'dpo'
    ? { method: { type: 'dpo' as const, dpo: { hyperparameters: { ...hp.hyperparameters, beta } } } }
    : { hyperparameters: hp.hyperparameters };
  return {
    input: {
      model: values.model,
      training_file: values.trainingFile,
      validation_file: values.validationFile || null,
      ...settings,
      preset: values.preset,
      suffix: suffix || null,
      seed,
      ...(values.earlyStopping ? { early_stopping: { patience: 3 } } : {}),
    },
    errors: null,
  };
}

/** Server-side field names (job.create's zod paths and LatheError params) mapped to the form's. */
export const SERVER_FIELDS: Readonly<Record<string, FieldName>> = {
  model: 'model',
  training_file: 'trainingFile',
  validation_file: 'validationFile',
  suffix: 'suffix',
  seed: 'seed',
  n_epochs: 'n_epochs',
  batch_size: 'batch_size',
  learning_rate_multiplier: 'learning_rate_multiplier',
  'hyperparameters.n_epochs': 'n_epochs',
  'hyperparameters.batch_size': 'batch_size',
  'hyperparameters.learning_rate_multiplier': 'learning_rate_multiplier',
  'method.dpo.hyperparameters.beta': 'beta',
  'method.dpo.hyperparameters.n_epochs': 'n_epochs',
  'method.dpo.hyperparameters.batch_size': 'batch_size',
  'method.dpo.hyperparameters.learning_rate_multiplier': 'learning_rate_multiplier',
  ...Object.fromEntries(
    (['lora_rank', 'lora_alpha', 'lora_dropout', 'lora_target_modules', 'max_sequence_length', 'lr_scheduler', 'warmup_ratio'] as const).flatMap((name) => [
      [name, name],
      [`hyperparameters.${name}`, name],
      [`method.dpo.hyperparameters.${name}`, name],
    ]),
  ),
};
