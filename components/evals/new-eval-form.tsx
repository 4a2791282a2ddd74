'use client';

import { useState } from 'react';
import { useRouter } from 'next/navigation';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslations } from 'next-intl';
import { Alert, AlertDescription, AlertTitle } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { Checkbox } from '@/components/ui/checkbox';
import { FormField } from '@/components/ui/form-field';
import { Input } from '@/components/ui/input';
import { Label } from '@/components/ui/label';
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from '@/components/ui/select';
import { Textarea } from '@/components/ui/textarea';
import { GRADER_TYPES, MAX_EVAL_MODELS, type GraderType, type TGraderInput } from '@/lib/universal/evals';
import { useTRPC } from '@/lib/trpc/client';

/** The label of each grader, under evals.graders. */
const GRADER_LABEL_KEYS = {
  exact_match: 'graders.exactMatch',
  contains: 'graders.contains',
  regex: 'graders.regex',
  json_schema: 'graders.jsonSchema',
  model: 'graders.model',
} as const satisfies Record<GraderType, string>;

type ServerError = { message: string; data?: { reason?: string | null } | null };

export function NewEvalForm() {
  const t = useTranslations('evals');
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const evalSets = useQuery(trpc.dataset.list.queryOptions({ purpose: 'evals' }));
  const chatModels = useQuery(trpc.serving.chatModels.queryOptions());
  const deployments = useQuery(trpc.serving.deployments.queryOptions());
  const [evalSetId, setEvalSetId] = useState('');
  const [models, setModels] = useState<string[]>([]);
  const [graderType, setGraderType] = useState<GraderType>('exact_match');
  const [pattern, setPattern] = useState('');
  const [schema, setSchema] = useState('');
  const [judgeModel, setJudgeModel] = useState('');
  const [rubric, setRubric] = useState('');
  const [formError, setFormError] = useState<string | null>(null);

  const upload = useMutation(
    trpc.dataset.createFromText.mutationOptions({
      onSuccess: (created) => {
        void queryClient.invalidateQueries({ queryKey: trpc.dataset.list.queryKey() });
        setEvalSetId(created.id);
      },
    }),
  );
  const create = useMutation(
    trpc.evals.create.mutationOptions({
      onSuccess: (run) => {
        void queryClient.invalidateQueries({ queryKey: trpc.evals.list.queryKey() });
        router.push(`/evaluations/${run.id}`);
      },
    }),
  );
  const deploy = useMutation(trpc.serving.deploy.mutationOptions({ onSuccess: () => void queryClient.invalidateQueries({ queryKey: trpc.serving.deployments.queryKey() }) }));

  const sets = evalSets.data ?? [];
  const usableSets = sets.filter((s) => s.status === 'VALID');
  const pendingSets = sets.filter((s) => s.status === 'UPLOADED' || s.status === 'VALIDATING');
  const options = chatModels.data ?? [];
  const toggle = (id: string, on: boolean) => setModels((current) => (on ? [...new Set([...current, id])].slice(0, MAX_EVAL_MODELS) : current.filter((m) => m !== id)));
  const error = create.error as ServerError | null;
  const judgeMissing = error?.data?.reason === 'judge_not_deployed';
  const judgeBase = options.find((m) => m.id === judgeModel)?.baseModel;
  const judgeDeployment = deployments.data?.find((d) => d.baseModelName === judgeBase);

  function grader(): TGraderInput | null {
    if (graderType === 'regex') return { type: 'regex', ...(pattern.trim() ? { pattern: pattern.trim() } : {}) };
    if (graderType === 'json_schema') {
      try {
        const parsed = JSON.parse(schema) as unknown;
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return { type: 'json_schema', schema: parsed as Record<string, unknown> };
      } catch {
        // Reported below in the user's language.
      }
      setFormError(t('errors.schemaNotJson'));
      return null;
    }
    if (graderType === 'model') {
      if (!judgeModel) {
        setFormError(t('errors.judgeRequired'));
        return null;
      }
      return { type: 'model', judgeModel, ...(rubric.trim() ? { rubric: rubric.trim() } : {}) };
    }
    return { type: graderType };
  }

  async function uploadFile(file: File) {
    upload.mutate({ filename: file.name, content: await file.text(), purpose: 'evals' });
  }

  return (
    <Card>
      <CardHeader>
        <CardTitle>{t('new.title')}</CardTitle>
        <CardDescription>{t('new.description')}</CardDescription>
      </CardHeader>
      <CardContent>
        <form
          className="grid gap-4"
          onSubmit={(e) => {
            e.preventDefault();
            setFormError(null);
            if (!evalSetId) return setFormError(t('errors.evalSetRequired'));
            if (models.length === 0) return setFormError(t('errors.modelsRequired'));
            const chosen = grader();
            if (chosen) create.mutate({ evalSetId, models, grader: chosen });
          }}
        >
          {formError && (
            <Alert variant="destructive" role="alert">
              <AlertDescription>{formError}</AlertDescription>
            </Alert>
          )}
          {error && !judgeMissing && (
            <Alert variant="destructive" role="alert">
              <AlertDescription>{error.message}</AlertDescription>
            </Alert>
          )}
          {judgeMissing && (
            <Alert variant="destructive" role="alert" data-testid="judge-not-deployed">
              <AlertTitle>{t('judge.notDeployedTitle')}</AlertTitle>
              <AlertDescription className="grid gap-2">
                <span>{t('judge.notDeployed', { model: judgeModel, base: judgeBase ?? judgeModel })}</span>
                {judgeDeployment && (
                  <Button
                    type="button"
                    size="sm"
                    variant="outline"
                    className="w-fit"
                    disabled={deploy.isPending || deploy.isSuccess}
                    onClick={() => deploy.mutate({ baseModelId: judgeDeployment.baseModelId })}
                  >
                    {deploy.isSuccess ? t('judge.deploying') : t('judge.deploy', { base: judgeDeployment.baseModelName })}
                  </Button>
                )}
              </AlertDescription>
            </Alert>
          )}

          <FormField label={t('new.evalSet')} description={usableSets.length ? t('new.evalSetHint') : t('new.noEvalSets')} required>
            {(control) => (
              <Select value={evalSetId} onValueChange={setEvalSetId} disabled={!usableSets.length}>
                <SelectTrigger {...control} className="w-full" data-testid="eval-set-select">
                  <SelectValue placeholder={t('new.evalSetPlaceholder')} />
                </SelectTrigger>
                <SelectContent>
                  {usableSets.map((s) => (
                    <SelectItem key={s.id} value={s.id}>
                      <span className="break-all">{s.name}</span>
                      <span className="text-muted-foreground text-xs">{t('new.examples', { count: s.examples ?? 0 })}</span>
                    </SelectItem>
                  ))}
                </SelectContent>
              </Select>
            )}
          </FormField>
          <FormField label={t('new.upload')} description={pendingSets.length ? t('new.validating', { count: pendingSets.length }) : t('new.uploadHint')}>
            <Input type="file" accept=".jsonl,application/jsonl,application/x-ndjson" onChange={(e) => e.currentTarget.files?.[0] && void uploadFile(e.currentTarget.files[0])} />
          </FormField>
          {upload.error && (
            <Alert variant="destructive" role="alert">
              <AlertDescription>{upload.error.message}</AlertDescription>
            </Alert>
          )}

          <fieldset className="grid gap-2">
            <legend className="mb-1 text-sm font-medium">{t('new.models')}</legend>
            <p className="text-muted-foreground text-sm" id="eval-models-hint">
              {options.length ? t('new.modelsHint', { max: MAX_EVAL_MODELS }) : t('new.noModels')}
            </p>
            <div className="grid gap-2 sm:grid-cols-2">
              {options.map((m) => (
                <div key={m.id} className="flex min-w-0 items-start gap-2">
                  <Checkbox id={`eval-model-${m.id}`} checked={models.includes(m.id)} onCheckedChange={(on) => toggle(m.id, on === true)} aria-describedby="eval-models-hint" />
                  <Label htmlFor={`eval-model-${m.id}`} className="grid min-w-0 gap-0.5 leading-tight font-normal">
                    <span className="font-mono text-sm break-all">{m.id}</span>
                    {models[0] === m.id && models.length > 1 && <span className="text-muted-foreground text-xs">{t('new.baseline')}</span>}
                  </Label>
                </div>
              ))}
            </div>
          </fieldset>

          <FormField label={t('new.grader')} description={t(`graderHints.${graderType}`)} required>
            {(control) => (
              <Select value={graderType} onValueChange={(v) => setGraderType(v as GraderType)}>
                <SelectTrigger {...control} className="w-full" data-testid="grader-select">
                  <SelectValue />
                </SelectTrigger>
                <SelectContent>
                  {GRADER_TYPES.map((type) => (
                    <SelectItem key={type} value={type}>
                      {t(GRADER_LABEL_KEYS[type])}
                    </SelectItem>
                  ))}
                </SelectContent>
              </Select>
            )}
          </FormField>
          {graderType === 'regex' && (
            <FormField label={t('new.pattern')} description={t('new.patternHint')}>
              <Input value={pattern} onChange={(e) => setPattern(e.target.value)} className="font-mono" maxLength={500} />
            </FormField>
          )}
          {graderType === 'json_schema' && (
            <FormField label={t('new.schema')} description={t('new.schemaHint')} required>
              <Textarea value={schema} onChange={(e) => setSchema(e.target.value)} className="min-h-32 font-mono text-sm" placeholder='{"type": "object", "required": ["answer"]}' />
            </FormField>
          )}
          {graderType === 'model' && (
            <>
              <FormField label={t('new.judge')} description={t('new.judgeHint')} required>
                {(control) => (
                  <Select value={judgeModel} onValueChange={setJudgeModel}>
                    <SelectTrigger {...control} className="w-full" data-testid="judge-select">
                      <SelectValue placeholder={t('new.judgePlaceholder')} />
                    </SelectTrigger>
                    <SelectContent>
                      {options.map((m) => (
                        <SelectItem key={m.id} value={m.id}>
                          <span className="font-mono break-all">{m.id}</span>
                        </SelectItem>
                      ))}
                    </SelectContent>
                  </Select>
                )}
              </FormField>
              <FormField label={t('new.rubric')} description={t('new.rubricHint')}>
                <Textarea value={rubric} onChange={(e) => setRubric(e.target.value)} className="min-h-24" maxLength={4000} />
              </FormField>
            </>
          )}
          <Button type="submit" className="w-fit" disabled={create.isPending}>
            {t('new.submit')}
          </Button>
        </form>
      </CardContent>
    </Card>
  );
}
