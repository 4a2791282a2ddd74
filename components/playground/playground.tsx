'use client';

import { useEffect, useRef, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useTranslations } from 'next-intl';
import { Code2, Loader2, MessagesSquare, RotateCcw, Send, Square } from 'lucide-react';
import { Alert, AlertDescription } from '@/components/ui/alert';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Card, CardContent } from '@/components/ui/card';
import { Dialog, DialogContent, DialogDescription, DialogHeader, DialogTitle } from '@/components/ui/dialog';
import { FormField } from '@/components/ui/form-field';
import { Input } from '@/components/ui/input';
import { Skeleton } from '@/components/ui/skeleton';
import { Switch } from '@/components/ui/switch';
import { Tabs, TabsContent, TabsList, TabsTrigger } from '@/components/ui/tabs';
import { Textarea } from '@/components/ui/textarea';
import { CodeBlock } from '@/components/common/code-block';
import { EmptyState } from '@/components/common/empty-state';
import { PageHeader } from '@/components/common/page-header';
import { readChatStream } from '@/components/playground/chat-stream';
import { ModelPicker, type PickerModel } from '@/components/playground/model-picker';
import { PresetControls, type Preset } from '@/components/playground/preset-controls';
import { curlSnippet, nodeSnippet, pythonSnippet, type PlaygroundSettings } from '@/components/playground/code-snippets';
import { useTRPC } from '@/lib/trpc/client';

type Turn = { role: 'user' | 'assistant'; content: string; error?: string; stopped?: boolean; pending?: boolean; usage?: { prompt_tokens: number; completion_tokens: number } };
type Pane = { model: string; turns: Turn[] };

const clamp = (value: number, min: number, max: number) => (Number.isFinite(value) ? Math.min(max, Math.max(min, value)) : min);

export function Playground() {
  const t = useTranslations('playground');
  const trpc = useTRPC();
  const models = useQuery(trpc.serving.chatModels.queryOptions());
  const [panes, setPanes] = useState<Pane[]>([{ model: '', turns: [] }, { model: '', turns: [] }]);
  const [sideBySide, setSideBySide] = useState(false);
  const [preset, setPreset] = useState<Preset | null>(null);
  const [system, setSystem] = useState('');
  const [temperature, setTemperature] = useState(0.7);
  const [topP, setTopP] = useState(1);
  const [maxTokens, setMaxTokens] = useState(256);
  const [input, setInput] = useState('');
  const [showCode, setShowCode] = useState(false);
  const [running, setRunning] = useState(0);
  const controllers = useRef<AbortController[]>([]);
  const [origin, setOrigin] = useState('');
  useEffect(() => setOrigin(window.location.origin), []);

  useEffect(() => {
    const first = models.data?.[0]?.id;
    if (!first) return;
    // The Models page's "Open in Playground" names the model in ?model=; the first pane starts on it.
    const asked = new URLSearchParams(window.location.search).get('model');
    const wanted = models.data!.some((m) => m.id === asked) ? asked : null;
    setPanes((current) => current.map((p, i) => (p.model ? p : { ...p, model: i === 0 && wanted ? wanted : models.data![Math.min(i, models.data!.length - 1)]!.id })));
  }, [models.data]);

  const active = sideBySide ? panes : panes.slice(0, 1);
  const busy = running > 0;
  const waiting = active.some((p) => p.turns.some((turn) => turn.pending));
  // While a request waits for its model, the deployment's state says why (starting, loading on a runner).
  const activeBases = active.map((p) => models.data?.find((m) => m.id === p.model)?.baseModel);
  const deployments = useQuery({
    ...trpc.serving.deployments.queryOptions(),
    refetchInterval: (query) =>
      waiting || query.state.data?.some((d) => activeBases.includes(d.baseModelName) && (d.status === 'REQUESTED' || d.status === 'LOADING')) ? 1000 : false,
  });
  const { refetch: refetchDeployments } = deployments;
  // Once the last reply is in, the model's state is read once more (it is ready now, or failed).
  useEffect(() => {
    if (!waiting) void refetchDeployments();
  }, [waiting, refetchDeployments]);
  const optionOf = (model: string) => models.data?.find((m) => m.id === model);
  const deploymentOf = (model: string) => deployments.data?.find((d) => d.baseModelName === optionOf(model)?.baseModel);

  function toggleSideBySide(on: boolean) {
    // The second pane joins the conversation where it stands, so both panes send the same history.
    if (on) setPanes((current) => [current[0]!, { ...current[1]!, turns: current[0]!.turns.map((turn) => ({ ...turn })) }]);
    setSideBySide(on);
  }

  function applyPreset(chosen: Preset) {
    setPreset(chosen);
    setSystem(chosen.systemPrompt);
    setTemperature(chosen.parameters.temperature);
    setTopP(chosen.parameters.topP);
    setMaxTokens(chosen.parameters.maxTokens);
  }

  const updateTurn = (pane: number, index: number, change: (turn: Turn) => Turn) =>
    setPanes((current) => current.map((p, i) => (i !== pane ? p : { ...p, turns: p.turns.map((turn, j) => (j === index ? change(turn) : turn)) })));

  async function ask(paneIndex: number, history: Turn[], controller: AbortController) {
    const pane = panes[paneIndex]!;
    const assistantIndex = history.length;
    setPanes((current) => current.map((p, i) => (i === paneIndex ? { ...p, turns: [...history, { role: 'assistant', content: '', pending: true }] } : p)));
    try {
      const response = await fetch('/api/playground', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model: pane.model,
          messages: [...(system.trim() ? [{ role: 'system', content: system }] : []), ...history.filter((turn) => !turn.error).map(({ role, content }) => ({ role, content }))],
          temperature,
          top_p: topP,
          max_tokens: maxTokens,
          stream: true,
        }),
        signal: controller.signal,
      });
      for await (const update of readChatStream(response)) {
        updateTurn(paneIndex, assistantIndex, (turn) => ({
          ...turn,
          content: turn.content + (update.delta ?? ''),
          usage: update.usage ?? turn.usage,
          error: update.error ?? turn.error,
        }));
      }
    } catch (error) {
      if (controller.signal.aborted) updateTurn(paneIndex, assistantIndex, (turn) => ({ ...turn, stopped: true }));
      else updateTurn(paneIndex, assistantIndex, (turn) => ({ ...turn, error: (error as Error).message }));
    } finally {
      updateTurn(paneIndex, assistantIndex, (turn) => ({ ...turn, pending: false }));
      setRunning((n) => n - 1);
    }
  }

  function send() {
    const text = input.trim();
    if (!text || busy || active.some((p) => !p.model)) return;
    setInput('');
    controllers.current = active.map(() => new AbortController());
    setRunning(active.length);
    active.forEach((pane, i) => void ask(i, [...pane.turns, { role: 'user', content: text }], controllers.current[i]!));
  }

  function stop() {
    controllers.current.forEach((c) => c.abort());
  }

  function reset() {
    stop();
    setPanes((current) => current.map((p) => ({ ...p, turns: [] })));
  }

  const settingsFor = (pane: Pane): PlaygroundSettings => ({
    model: pane.model,
    preset: preset?.name,
    system,
    temperature,
    topP,
    maxTokens,
    messages: pane.turns.filter((turn) => !turn.error).map(({ role, content }) => ({ role, content })),
  });

  if (models.isLoading) return <Skeleton className="h-96 w-full" />;

  return (
    <div className="grid gap-6">
      <PageHeader
        title={t('title')}
        description={t('description')}
        actions={
          models.data?.length ? (
            <>
              <Button variant="outline" onClick={() => setShowCode(true)} disabled={!panes[0]!.model}>
                <Code2 aria-hidden /> {t('viewCode')}
              </Button>
              <Button variant="outline" onClick={reset}>
                <RotateCcw aria-hidden /> {t('reset')}
              </Button>
            </>
          ) : undefined
        }
      />
      {!models.data?.length ? (
        <EmptyState icon={<MessagesSquare />} title={t('title')} description={t('noModels')} />
      ) : (
        <div className="grid gap-6 lg:grid-cols-[18rem_1fr]">
          <Card className="h-fit">
            <CardContent className="grid gap-4">
              <FormField label={t('sideBySide')} description={t('sideBySideHint')} orientation="horizontal">
                <Switch checked={sideBySide} onCheckedChange={toggleSideBySide} disabled={busy} data-testid="side-by-side" />
              </FormField>
              <PresetControls
                current={{ systemPrompt: system, parameters: { temperature, topP, maxTokens } }}
                active={preset}
                onApply={applyPreset}
                onForget={() => setPreset(null)}
              />
              <FormField label={t('system')}>
                <Textarea value={system} onChange={(e) => setSystem(e.target.value)} placeholder={t('systemPlaceholder')} rows={4} />
              </FormField>
              <FormField label={t('temperature')}>
                <Input type="number" min={0} max={2} step={0.1} value={temperature} onChange={(e) => setTemperature(clamp(e.target.valueAsNumber, 0, 2))} />
              </FormField>
              <FormField label={t('topP')}>
                <Input type="number" min={0.01} max={1} step={0.05} value={topP} onChange={(e) => setTopP(clamp(e.target.valueAsNumber, 0.01, 1))} />
              </FormField>
              <FormField label={t('maxTokens')}>
                <Input type="number" min={1} max={4096} step={1} value={maxTokens} onChange={(e) => setMaxTokens(Math.round(clamp(e.target.valueAsNumber, 1, 4096)))} />
              </FormField>
            </CardContent>
          </Card>
          <div className="grid min-w-0 gap-4">
            <div className={sideBySide ? 'grid gap-4 xl:grid-cols-2' : 'grid gap-4'}>
              {active.map((pane, i) => (
                <Card key={i} className="min-w-0" data-testid="playground-pane" data-model={pane.model}>
                  <CardContent className="grid gap-3">
                    <FormField label={i === 0 ? t('model') : t('modelB')}>
                      {(control) => (
                        <ModelPicker
                          models={models.data as PickerModel[]}
                          value={pane.model}
                          onChange={(model) => setPanes((current) => current.map((p, j) => (j === i ? { ...p, model } : p)))}
                          control={control}
                          testId={`model-select-${i}`}
                        />
                      )}
                    </FormField>
                    <ModelState pending={pane.turns.some((turn) => turn.pending && !turn.content)} deployment={deploymentOf(pane.model)} />
                    <Conversation turns={pane.turns} />
                  </CardContent>
                </Card>
              ))}
            </div>
            <form
              className="flex flex-col gap-2 sm:flex-row sm:items-end"
              onSubmit={(e) => {
                e.preventDefault();
                send();
              }}
            >
              <FormField label={t('message')} className="flex-1">
                <Textarea
                  value={input}
                  onChange={(e) => setInput(e.target.value)}
                  onKeyDown={(e) => {
                    if (e.key === 'Enter' && !e.shiftKey) {
                      e.preventDefault();
                      send();
                    }
                  }}
                  placeholder={t('messagePlaceholder')}
                  rows={3}
                  data-testid="playground-input"
                />
              </FormField>
              {busy ? (
                <Button type="button" variant="destructive" onClick={stop} data-testid="playground-stop">
                  <Square aria-hidden /> {t('stop')}
                </Button>
              ) : (
                <Button type="submit" disabled={!input.trim() || active.some((p) => !p.model)} data-testid="playground-send">
                  <Send aria-hidden /> {t('send')}
                </Button>
              )}
            </form>
          </div>
        </div>
      )}
      <Dialog open={showCode} onOpenChange={setShowCode}>
        <DialogContent className="max-h-[90vh] overflow-y-auto sm:max-w-3xl">
          <DialogHeader>
            <DialogTitle>{t('codeTitle')}</DialogTitle>
            <DialogDescription>{t('codeDescription')}</DialogDescription>
          </DialogHeader>
          <Tabs defaultValue="curl" className="min-w-0">
            <TabsList>
              <TabsTrigger value="curl">curl</TabsTrigger>
              <TabsTrigger value="python">Python</TabsTrigger>
              <TabsTrigger value="node">Node.js</TabsTrigger>
            </TabsList>
            {(
              [
                ['curl', 'bash', curlSnippet],
                ['python', 'python', pythonSnippet],
                ['node', 'typescript', nodeSnippet],
              ] as const
            ).map(([tab, language, snippet]) => (
              <TabsContent key={tab} value={tab} className="grid min-w-0 gap-4">
                {active.map((pane, i) => (
                  <section key={i} className="grid min-w-0 gap-2" data-testid="code-for-model" data-model={pane.model}>
                    {active.length > 1 && <h3 className="truncate text-sm font-medium">{t('codeFor', { model: pane.model })}</h3>}
                    <CodeBlock language={language} code={snippet(origin, settingsFor(pane))} />
                  </section>
                ))}
              </TabsContent>
            ))}
          </Tabs>
        </DialogContent>
      </Dialog>
    </div>
  );
}

type DeploymentState = { status: string; runner: string | null; baseModelName: string; error: string | null };

/**
 * The state of the deployment behind a pane's model, in words: ready, or, while a message waits
 * for it, why (waiting for a runner, loading on one), so a first message never spins in silence.
 */
function ModelState({ pending, deployment }: { pending: boolean; deployment: DeploymentState | undefined }) {
  const t = useTranslations('playground.state');
  if (!deployment) return null;
  const { status, runner, baseModelName: model } = deployment;
  if (status === 'READY') {
    return (
      <p className="text-muted-foreground text-xs" data-testid="model-state" data-status={status}>
        {t('ready', { model })}
      </p>
    );
  }
  if (status === 'FAILED') {
    return (
      <p className="text-destructive text-xs break-words" data-testid="model-state" data-status={status}>
        {t('failed', { model, reason: deployment.error ?? '—' })}
      </p>
    );
  }
  // Starting without a message waiting for it (deployed from the Models page, or by another member's request).
  const starting = status === 'REQUESTED' || status === 'LOADING';
  if (!pending && !starting) {
    return (
      <p className="text-muted-foreground text-xs" data-testid="model-state" data-status={status}>
        {t('asleep', { model })}
      </p>
    );
  }
  return (
    <p role="status" className="flex items-center gap-2 text-sm" data-testid={pending ? 'model-waking' : 'model-state'} data-status={status}>
      <Loader2 aria-hidden className="size-4 shrink-0 animate-spin" />
      <span className="min-w-0 break-words">
        {status === 'LOADING' ? (runner ? t('loadingOn', { model, runner }) : t('loading', { model })) : t('waking', { model })}
      </span>
    </p>
  );
}

function Conversation({ turns }: { turns: Turn[] }) {
  const t = useTranslations('playground');
  if (turns.length === 0) return <p className="text-muted-foreground py-8 text-center text-sm">{t('empty')}</p>;
  return (
    <ol className="grid max-h-[28rem] gap-3 overflow-y-auto" aria-live="polite">
      {turns.map((turn, i) => (
        <li key={i} className={turn.role === 'user' ? 'bg-muted rounded-lg p-3' : 'rounded-lg border p-3'} data-testid={turn.role === 'user' ? 'playground-user' : 'playground-reply'}>
          <div className="text-muted-foreground mb-1 flex items-center gap-2 text-xs font-medium">
            {turn.role === 'user' ? t('you') : t('assistant')}
            {turn.stopped && <Badge variant="outline">{t('stopped')}</Badge>}
            {turn.usage && <span className="tabular-nums">{t('usage', { prompt: turn.usage.prompt_tokens, completion: turn.usage.completion_tokens })}</span>}
          </div>
          <p className="text-sm break-words whitespace-pre-wrap" data-testid={turn.role === 'assistant' ? 'playground-reply-text' : undefined}>
            {turn.content}
          </p>
          {turn.error && (
            <Alert variant="destructive" className="mt-2" role="alert">
              <AlertDescription>
                {t('error')}: {turn.error}
              </AlertDescription>
            </Alert>
          )}
        </li>
      ))}
    </ol>
  );
}
