'use client';

import { useId, useMemo, useState } from 'react';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { TRPCClientError } from '@trpc/client';
import { useFormatter, useTranslations } from 'next-intl';
import { ChevronDown, Loader2 } from 'lucide-react';
import { toast } from 'sonner';
import { Alert, AlertDescription, AlertTitle } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { FormField } from '@/components/ui/form-field';
import { Input } from '@/components/ui/input';
import { Switch } from '@/components/ui/switch';
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from '@/components/ui/select';
import { PageHeader } from '@/components/common/page-header';
import { useDebounced } from '@/components/common/use-debounced';
import { JobEstimateCard } from '@/components/jobs/job-estimate-card';
import { EvalOnSuccessField, evaluationOption, type EvalOnSuccessValue } from '@/components/evals/eval-on-success-field';
import {
  ADVANCED_FIELDS,
  DECIMAL_HYPERPARAMETERS,
  emptyNewJobValues,
  FIELD_ERROR_KEYS,
  HYPERPARAMETERS,
  parseHyperparameters,
  PRESETS,
  SERVER_FIELDS,
  toCreateJobInput,
  type FieldErrorKey,
  type FieldName,
  type NewJobValues,
} from '@/components/jobs/new-job-values';
import { useTRPC } from '@/lib/trpc/client';
import { cn } from '@/lib/utils';
import { LORA_TARGET_MODULES, LR_SCHEDULERS, type TLoraTargetModule, type TLrScheduler, type TPreset } from '@/lib/universal/hyperparameters';
import { Checkbox } from '@/components/ui/checkbox';

/** Dataset states after validation passed (tokenizing for a job and tokenized come later). */
const USABLE_DATASET = new Set(['VALID', 'TOKENIZING', 'READY']);
const NO_VALIDATION = '__none__';
const ESTIMATE_DEBOUNCE_MS = 300;

type ServerErrorData = { code?: string; httpStatus?: number; param?: string | null; zodError?: { fieldErrors?: Record<string, string[] | undefined> } | null };

function serverError(error: unknown): { data: ServerErrorData; message: string } | null {
  if (!(error instanceof TRPCClientError)) return null;
  return { data: (error.data ?? {}) as ServerErrorData, message: error.message };
}

export function NewJobForm({ prefill }: { prefill?: { model?: string; trainingFile?: string } }) {
  const t = useTranslations('jobs.form');
  const format = useFormatter();
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const [values, setValues] = useState<NewJobValues>(() => emptyNewJobValues(prefill));
  const [errors, setErrors] = useState<Partial<Record<FieldName, FieldErrorKey | string>>>({});
  const [advanced, setAdvanced] = useState(false);
  const advancedId = useId();

  const models = useQuery(trpc.model.list.queryOptions());
  const continuable = useQuery(trpc.job.continuable.queryOptions());
  const datasets = useQuery(trpc.dataset.list.queryOptions({ purpose: 'fine-tune' }));
  const balance = useQuery(trpc.billing.balance.queryOptions());
  const trainable = useMemo(() => (models.data ?? []).filter((m) => m.trainable), [models.data]);
  const usable = useMemo(() => (datasets.data ?? []).filter((d) => USABLE_DATASET.has(d.status)), [datasets.data]);
  const unusable = (datasets.data?.length ?? 0) - usable.length;

  const hp = parseHyperparameters(values);
  const estimateInput = useDebounced(
    values.model && values.trainingFile && Object.keys(hp.errors).length === 0
      ? { model: values.model, training_file: values.trainingFile, hyperparameters: hp.hyperparameters, preset: values.preset }
      : null,
    ESTIMATE_DEBOUNCE_MS,
  );
  const estimate = useQuery(
    trpc.job.estimate.queryOptions(estimateInput ?? { model: '', training_file: '' }, { enabled: estimateInput !== null, retry: false, placeholderData: (prev) => prev }),
  );

  const create = useMutation(
    trpc.job.create.mutationOptions({
      onSuccess: (job) => {
        toast.success(t('created', { id: job.id }));
        void queryClient.invalidateQueries(trpc.job.list.queryFilter());
        router.push(`/jobs/${job.id}`);
      },
      onError: (error) => {
        const failure = serverError(error);
        if (failure?.data.code === 'PAYMENT_REQUIRED') void balance.refetch();
        const next: Partial<Record<FieldName, string>> = {};
        const param = failure?.data.param ? SERVER_FIELDS[failure.data.param] : undefined;
        if (param) next[param] = failure!.message;
        for (const [path, messages] of Object.entries(failure?.data.zodError?.fieldErrors ?? {})) {
          const field = SERVER_FIELDS[path];
          if (field && messages?.length) next[field] = messages.join(' ');
        }
        setErrors(next);
        if (ADVANCED_FIELDS.some((name) => next[name])) setAdvanced(true);
      },
    }),
  );
  const createFailure = serverError(create.error);
  const paymentRequired = createFailure?.data.code === 'PAYMENT_REQUIRED';
  const fieldOwnsError = createFailure?.data.param ? SERVER_FIELDS[createFailure.data.param] !== undefined : false;

  function set<K extends keyof NewJobValues>(key: K, value: NewJobValues[K]) {
    setValues((v) => ({ ...v, [key]: value }));
    setErrors((e) => ({ ...e, [key]: undefined }));
  }

  /** A preference file trains with DPO and any other file supervised, so choosing the file picks the method. */
  function setTrainingFile(id: string) {
    const chosen = usable.find((d) => d.id === id);
    // A file cannot validate the training it is: the validation choice is cleared.
    setValues((v) => ({ ...v, trainingFile: id, validationFile: v.validationFile === id ? '' : v.validationFile, method: chosen?.format === 'preference' ? 'dpo' : chosen?.format ? 'supervised' : v.method }));
    setErrors((e) => ({ ...e, trainingFile: undefined }));
  }

  const [evaluation, setEvaluation] = useState<EvalOnSuccessValue>({ enabled: false, evalSetId: '' });

  function setHyperparameter(name: (typeof HYPERPARAMETERS)[number], value: string) {
    setValues((v) => ({ ...v, hyperparameters: { ...v.hyperparameters, [name]: value } }));
    setErrors((e) => ({ ...e, [name]: undefined }));
  }

  function submit(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const result = toCreateJobInput(values);
    if (result.errors) {
      setErrors(result.errors);
      if (ADVANCED_FIELDS.some((name) => result.errors[name])) setAdvanced(true);
      return;
    }
    setErrors({});
    // `method` has a catch-all for methods Lathe refuses by name, which a literal type does not satisfy.
    create.mutate({ ...result.input, ...evaluationOption(evaluation) } as Parameters<typeof create.mutate>[0]);
  }

  const message = (field: FieldName): string | undefined => {
    const error = errors[field];
    if (!error) return undefined;
    return FIELD_ERROR_KEYS.has(error) ? t(`errors.${error as FieldErrorKey}`) : error;
  };

  const resolved = estimate.data?.hyperparameters;
  const autoPlaceholder = (name: (typeof HYPERPARAMETERS)[number]) => {
    const value = resolved?.[name];
    return typeof value === 'number' ? t('advanced.autoValue', { value: format.number(value, { maximumSignificantDigits: 4 }) }) : t('advanced.auto');
  };
  const numberField = (name: (typeof HYPERPARAMETERS)[number]) => (
    <FormField key={name} label={t(`advanced.${name}`)} description={t(`advanced.${name}Hint`)} error={message(name)}>
      <Input
        name={name}
        value={values.hyperparameters[name]}
        inputMode={DECIMAL_HYPERPARAMETERS.has(name) ? 'decimal' : 'numeric'}
        autoComplete="off"
        placeholder={autoPlaceholder(name)}
        onChange={(e) => setHyperparameter(name, e.target.value)}
      />
    </FormField>
  );

  return (
    <div className="grid gap-6">
      <PageHeader
        title={t('title')}
        description={t('description')}
        eyebrow={
          <Link href="/jobs" className="underline-offset-4 hover:underline">
            {t('back')}
          </Link>
        }
      />
      <div className="grid items-start gap-6 lg:grid-cols-[minmax(0,1fr)_22rem]">
        <form className="grid gap-6" onSubmit={submit} noValidate aria-describedby={create.error ? 'new-job-error' : undefined}>
          <Card>
            <CardHeader>
              <CardTitle>{t('sections.data')}</CardTitle>
            </CardHeader>
            <CardContent className="grid gap-4">
              <FormField label={t('model')} description={trainable.length ? t('modelHint') : undefined} error={message('model')} required>
                {(control) => (
                  <Select value={values.model} onValueChange={(v) => set('model', v)} disabled={!trainable.length}>
                    <SelectTrigger {...control} className="w-full" data-testid="model-select">
                      <SelectValue placeholder={models.isLoading ? t('loading') : trainable.length ? t('modelPlaceholder') : t('noModels')} />
                    </SelectTrigger>
                    <SelectContent>
                      {trainable.map((m) => (
                        <SelectItem key={m.id} value={m.name}>
                          <span className="font-mono">{m.name}</span>
                          {m.parameters ? <span className="text-muted-foreground text-xs">{format.number(m.parameters, { notation: 'compact' })}</span> : null}
                        </SelectItem>
                      ))}
                      {(continuable.data ?? []).map((m) => (
                        <SelectItem key={m.name} value={m.name}>
                          <span className="font-mono break-all">{m.name}</span>
                          <span className="text-muted-foreground text-xs">{t('continueFrom')}</span>
                        </SelectItem>
                      ))}
                    </SelectContent>
                  </Select>
                )}
              </FormField>
              {!models.isLoading && !trainable.length && (
                <p className="text-muted-foreground text-sm">
                  {t.rich('noModelsHint', { link: (chunks) => <Link href="/models" className="text-foreground underline underline-offset-4">{chunks}</Link> })}
                </p>
              )}
              <FormField
                label={t('trainingFile')}
                description={unusable > 0 ? t('unusableDatasets', { count: unusable }) : undefined}
                error={message('trainingFile')}
                required
              >
                {(control) => (
                  <Select value={values.trainingFile} onValueChange={setTrainingFile} disabled={!usable.length}>
                    <SelectTrigger {...control} className="w-full" data-testid="training-file-select">
                      <SelectValue placeholder={datasets.isLoading ? t('loading') : usable.length ? t('filePlaceholder') : t('noDatasets')} />
                    </SelectTrigger>
                    <SelectContent>
                      {usable.map((d) => (
                        <SelectItem key={d.id} value={d.id}>
                          {d.name}
                          {d.examples !== null && <span className="text-muted-foreground text-xs">{t('examples', { count: d.examples })}</span>}
                        </SelectItem>
                      ))}
                    </SelectContent>
                  </Select>
                )}
              </FormField>
              {!datasets.isLoading && !usable.length && (
                <p className="text-muted-foreground text-sm">
                  {t.rich('noDatasetsHint', { link: (chunks) => <Link href="/datasets" className="text-foreground underline underline-offset-4">{chunks}</Link> })}
                </p>
              )}
              <FormField label={t('validationFile')} description={t('validationFileHint')} error={message('validationFile')}>
                {(control) => (
                  <Select value={values.validationFile || NO_VALIDATION} onValueChange={(v) => set('validationFile', v === NO_VALIDATION ? '' : v)} disabled={!usable.length}>
                    <SelectTrigger {...control} className="w-full">
                      <SelectValue />
                    </SelectTrigger>
                    <SelectContent>
                      <SelectItem value={NO_VALIDATION}>{t('noValidation')}</SelectItem>
                      {usable
                        .filter((d) => d.id !== values.trainingFile)
                        .map((d) => (
                        <SelectItem key={d.id} value={d.id}>
                          {d.name}
                          {d.examples !== null && <span className="text-muted-foreground text-xs">{t('examples', { count: d.examples })}</span>}
                        </SelectItem>
                      ))}
                    </SelectContent>
                  </Select>
                )}
              </FormField>
              <EvalOnSuccessField value={evaluation} onChange={setEvaluation} hasValidationFile={values.validationFile !== ''} />
              <FormField label={t('suffix')} description={t('suffixHint')} error={message('suffix')}>
                <Input name="suffix" value={values.suffix} maxLength={64} autoComplete="off" spellCheck={false} placeholder="support-bot" onChange={(e) => set('suffix', e.target.value)} />
              </FormField>
            </CardContent>
          </Card>
          <Card>
            <CardHeader>
              <CardTitle>{t('sections.training')}</CardTitle>
            </CardHeader>
            <CardContent className="grid gap-4">
              <div className="grid gap-4 sm:grid-cols-2">
                <FormField label={t('method.label')} description={t(`method.${values.method}Hint`)}>
                  {(control) => (
                    <Select value={values.method} onValueChange={(v) => set('method', v as NewJobValues['method'])}>
                      <SelectTrigger {...control} className="w-full" data-testid="method-select">
                        <SelectValue />
                      </SelectTrigger>
                      <SelectContent>
                        <SelectItem value="supervised">{t('method.supervised')}</SelectItem>
                        <SelectItem value="dpo">{t('method.dpo')}</SelectItem>
                      </SelectContent>
                    </Select>
                  )}
                </FormField>
                {values.method === 'dpo' && (
                  <FormField label={t('method.beta')} description={t('method.betaHint')} error={message('beta')}>
                    <Input name="beta" value={values.beta} inputMode="decimal" autoComplete="off" placeholder={t('advanced.auto')} onChange={(e) => set('beta', e.target.value)} />
                  </FormField>
                )}
              </div>
              <PresetControl value={values.preset} onChange={(preset) => set('preset', preset)} />
              <div>
                <Button
                  type="button"
                  variant="ghost"
                  className="-ml-3"
                  aria-expanded={advanced}
                  aria-controls={advancedId}
                  onClick={() => setAdvanced((a) => !a)}
                >
                  <ChevronDown aria-hidden className={cn('transition-transform', advanced && 'rotate-180')} />
                  {t('advanced.title')}
                </Button>
                <div id={advancedId} role="region" aria-label={t('advanced.title')} hidden={!advanced} className="grid gap-4 pt-2">
                  <p className="text-muted-foreground text-sm">{t('advanced.description')}</p>
                  <div className="grid gap-4 sm:grid-cols-3">{(['n_epochs', 'batch_size', 'learning_rate_multiplier'] as const).map(numberField)}</div>
                  <h3 className="text-sm font-semibold">{t('advanced.loraTitle')}</h3>
                  <div className="grid gap-4 sm:grid-cols-3">{(['lora_rank', 'lora_alpha', 'lora_dropout'] as const).map(numberField)}</div>
                  <TargetModulesControl
                    value={values.targetModules}
                    error={message('lora_target_modules')}
                    onChange={(targetModules) => {
                      setValues((v) => ({ ...v, targetModules }));
                      setErrors((e) => ({ ...e, lora_target_modules: undefined }));
                    }}
                  />
                  <h3 className="text-sm font-semibold">{t('advanced.scheduleTitle')}</h3>
                  <div className="grid gap-4 sm:grid-cols-3">
                    <FormField label={t('advanced.lr_scheduler')} description={t('advanced.lr_schedulerHint')} error={message('lr_scheduler')}>
                      {(control) => (
                        <Select value={values.scheduler} onValueChange={(v) => set('scheduler', v as NewJobValues['scheduler'])}>
                          <SelectTrigger {...control} className="w-full" data-testid="scheduler-select">
                            <SelectValue />
                          </SelectTrigger>
                          <SelectContent>
                            <SelectItem value="auto">{t('advanced.autoValue', { value: t('advanced.schedulers.cosine') })}</SelectItem>
                            {LR_SCHEDULERS.map((name: TLrScheduler) => (
                              <SelectItem key={name} value={name}>
                                {t(`advanced.schedulers.${name}`)}
                              </SelectItem>
                            ))}
                          </SelectContent>
                        </Select>
                      )}
                    </FormField>
                    {numberField('warmup_ratio')}
                    {numberField('max_sequence_length')}
                  </div>
                  <FormField label={t('advanced.earlyStopping')} description={t('advanced.earlyStoppingHint')} orientation="horizontal">
                    <Switch checked={values.earlyStopping} onCheckedChange={(v) => set('earlyStopping', v)} data-testid="early-stopping-switch" />
                  </FormField>
                  <FormField label={t('advanced.seed')} description={t('advanced.seedHint')} error={message('seed')} className="sm:max-w-xs">
                    <Input name="seed" value={values.seed} inputMode="numeric" autoComplete="off" placeholder={t('advanced.random')} onChange={(e) => set('seed', e.target.value)} />
                  </FormField>
                </div>
              </div>
            </CardContent>
          </Card>
          {/* Beside the submit button, where the eye is after submitting a long form. */}
          {create.error && !fieldOwnsError && (
            <Alert variant="destructive" id="new-job-error" data-testid="create-job-error">
              <AlertTitle>{paymentRequired ? t('paymentRequired.title') : t('failed')}</AlertTitle>
              <AlertDescription>
                <p>{create.error.message}</p>
                {paymentRequired && (
                  <p>
                    {balance.data ? t('paymentRequired.balance', { balance: format.number(Number(balance.data.balance), { maximumFractionDigits: 6 }) }) : null}{' '}
                    <Link href="/usage" className="font-medium underline underline-offset-4">
                      {t('paymentRequired.link')}
                    </Link>
                  </p>
                )}
              </AlertDescription>
            </Alert>
          )}
          <div className="flex flex-wrap items-center gap-3">
            <Button type="submit" disabled={create.isPending}>
              {create.isPending && <Loader2 className="animate-spin" aria-hidden />}
              {t('submit')}
            </Button>
            <Button type="button" variant="outline" asChild>
              <Link href="/jobs">{t('cancel')}</Link>
            </Button>
          </div>
        </form>
        <JobEstimateCard
          className="lg:sticky lg:top-20"
          ready={estimateInput !== null}
          loading={estimate.isFetching}
          error={estimate.error?.message ?? null}
          estimate={estimate.data ?? null}
          balance={balance.data ? Number(balance.data.balance) : null}
        />
      </div>
    </div>
  );
}

function PresetControl({ value, onChange }: { value: TPreset; onChange: (preset: TPreset) => void }) {
  const t = useTranslations('jobs.form.preset');
  const name = useId();
  return (
    <fieldset className="grid gap-2">
      <legend className="mb-2 text-sm leading-none font-medium">{t('label')}</legend>
      <div className="bg-muted grid gap-1 rounded-lg p-1 sm:grid-cols-3">
        {PRESETS.map((preset) => (
          <label
            key={preset}
            className={cn(
              'has-[:focus-visible]:ring-ring/50 flex cursor-pointer flex-col gap-0.5 rounded-md px-3 py-2 text-left transition-colors has-[:focus-visible]:ring-[3px]',
              value === preset ? 'bg-background shadow-xs' : 'hover:bg-background/60',
            )}
          >
            <input
              type="radio"
              className="sr-only"
              name={name}
              value={preset}
              checked={value === preset}
              onChange={() => onChange(preset)}
              aria-describedby={`${name}-${preset}`}
            />
            <span className="text-sm font-medium">{t(`${preset}.title`)}</span>
            <span id={`${name}-${preset}`} className="text-muted-foreground text-xs">
              {t(`${preset}.description`)}
            </span>
          </label>
        ))}
      </div>
    </fieldset>
  );
}

/** LoRA's target layers: "auto" (all seven), or the ones ticked. Native checkboxes, so Tab and Space work. */
function TargetModulesControl({ value, error, onChange }: { value: 'auto' | TLoraTargetModule[]; error?: string; onChange: (value: 'auto' | TLoraTargetModule[]) => void }) {
  const t = useTranslations('jobs.form.advanced');
  const id = useId();
  const chosen = value === 'auto' ? LORA_TARGET_MODULES : value;
  return (
    <fieldset className="grid gap-2" aria-describedby={`${id}-hint${error ? ` ${id}-error` : ''}`} data-testid="target-modules">
      <legend className="mb-2 text-sm leading-none font-medium">{t('lora_target_modules')}</legend>
      <p id={`${id}-hint`} className="text-muted-foreground text-sm">
        {t('lora_target_modulesHint')}
      </p>
      <label className="flex items-center gap-2 text-sm">
        <Checkbox checked={value === 'auto'} onCheckedChange={(on) => onChange(on === true ? 'auto' : [...LORA_TARGET_MODULES])} />
        {t('allModules')}
      </label>
      <div className="grid grid-cols-2 gap-2 sm:grid-cols-4">
        {LORA_TARGET_MODULES.map((module) => (
          <label key={module} className={cn('flex items-center gap-2 font-mono text-sm', value === 'auto' && 'text-muted-foreground')}>
            <Checkbox
              disabled={value === 'auto'}
              checked={chosen.includes(module)}
              onCheckedChange={(on) => onChange(on === true ? [...chosen, module] : chosen.filter((m) => m !== module))}
            />
            {module}
          </label>
        ))}
      </div>
      {error && (
        <p id={`${id}-error`} className="text-destructive text-sm" role="alert">
          {error}
        </p>
      )}
    </fieldset>
  );
}
