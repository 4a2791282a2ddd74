'use client';

import { useEffect, useId, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslations } from 'next-intl';
import { toast } from 'sonner';
import { Alert, AlertDescription, AlertTitle } from '@/components/ui/alert';
import { useDebounced } from '@/components/common/use-debounced';
import { Button } from '@/components/ui/button';
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from '@/components/ui/dialog';
import { FormField } from '@/components/ui/form-field';
import { Input } from '@/components/ui/input';
import { Switch } from '@/components/ui/switch';
import { Tabs, TabsContent, TabsList, TabsTrigger } from '@/components/ui/tabs';
import { useModelFormat } from '@/components/models/use-model-format';
import { useTRPC } from '@/lib/trpc/client';

const REPO_ID = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/;

/** The name a source suggests: the repo's or folder's last segment, made API-safe. */
function suggestName(source: string): string {
  const last = source.replace(/[/\\]+$/, '').split(/[/\\]/).at(-1) ?? '';
  return last.replace(/\.gguf$/i, '').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 64);
}

/** A failed import being edited: the dialog opens on its source and name, and submitting retries that row. */
export type EditedImport = { id: string; name: string; source: 'HUGGING_FACE' | 'FOLDER' | 'GGUF'; sourceRef: string | null; revision: string | null; scope: 'platform' | 'organization' };

/** True when a tRPC error says the Hub gave no answer (hub_unreachable), not that a repo is wrong. */
const hubUnreachable = (error: unknown) => (error as { data?: { reason?: unknown } } | null)?.data?.reason === 'hub_unreachable';

export function ImportModelDialog({
  open,
  onOpenChange,
  admin,
  serverPaths,
  editing = null,
}: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  admin: boolean;
  /** Whether this user may import from the server's disk (the server's own rule, mayImportServerPaths). */
  serverPaths: boolean;
  editing?: EditedImport | null;
}) {
  const t = useTranslations('models.dialog');
  const fmt = useModelFormat();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [tab, setTab] = useState<'hub' | 'server'>('hub');
  const [repo, setRepo] = useState('');
  const [path, setPath] = useState('');
  const [name, setName] = useState('');
  const [nameEdited, setNameEdited] = useState(false);
  const [platform, setPlatform] = useState(false);
  const [showResults, setShowResults] = useState(false);

  const query = useDebounced(repo.trim(), 300);
  // Platform-wide imports look the Hub up with the operator's token, the organization's with its own.
  const hubScope = admin && platform ? 'platform' : 'project';
  const search = useQuery(trpc.model.searchHub.queryOptions({ query, scope: hubScope }, { enabled: open && tab === 'hub' && showResults && query.length >= 2, staleTime: 60_000 }));
  const repoValid = REPO_ID.test(repo.trim());
  const files = useQuery(trpc.model.listHubFiles.queryOptions({ repo: repo.trim(), scope: hubScope }, { enabled: open && tab === 'hub' && repoValid && !showResults, staleTime: 60_000, retry: false }));
  const downloads = files.data?.filter((f) => f.imported) ?? [];

  const onSuccess = (model: { name: string }) => {
    toast.success(t('started', { name: model.name }));
    void queryClient.invalidateQueries({ queryKey: trpc.model.list.queryKey() });
    close(false);
  };
  const fromHub = useMutation(trpc.model.importFromHub.mutationOptions({ onSuccess }));
  const fromFolder = useMutation(trpc.model.importFromFolder.mutationOptions({ onSuccess }));
  const fromGguf = useMutation(trpc.model.importFromGguf.mutationOptions({ onSuccess }));
  const retry = useMutation(trpc.model.retryImport.mutationOptions({ onSuccess }));
  const pending = fromHub.isPending || fromFolder.isPending || fromGguf.isPending || retry.isPending;
  const error = (editing ? retry.error : tab === 'hub' ? fromHub.error : path.trim().toLowerCase().endsWith('.gguf') ? fromGguf.error : fromFolder.error) ?? null;
  // While the Hub gives no answer, a Hub import would only fail in the worker: say so, and hold the button.
  const hubDown = tab === 'hub' && ((showResults && hubUnreachable(search.error)) || (!showResults && hubUnreachable(files.error)));
  const hubDownId = useId();

  // Editing opens on the failed import's source and name.
  useEffect(() => {
    if (!open || !editing) return;
    const hub = editing.source === 'HUGGING_FACE';
    setTab(hub ? 'hub' : 'server');
    setRepo(hub ? (editing.sourceRef ?? '') : '');
    setPath(hub ? '' : (editing.sourceRef ?? ''));
    setName(editing.name);
    setNameEdited(true);
    setPlatform(editing.scope === 'platform');
    setShowResults(false);
  }, [open, editing]);

  function updateSource(value: string) {
    if (tab === 'hub') setRepo(value);
    else setPath(value);
    if (!nameEdited) setName(suggestName(value));
  }

  function close(next: boolean) {
    if (!next) {
      setTab('hub');
      setRepo('');
      setPath('');
      setName('');
      setNameEdited(false);
      setPlatform(false);
      setShowResults(false);
      for (const m of [fromHub, fromFolder, fromGguf, retry]) m.reset();
    }
    onOpenChange(next);
  }

  function submit(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const scope = admin && platform ? 'platform' : 'project';
    if (editing) {
      const file = path.trim();
      const source =
        tab === 'hub'
          ? { kind: 'hub' as const, repo: repo.trim(), ...(editing.revision && repo.trim() === editing.sourceRef ? { revision: editing.revision } : {}) }
          : file.toLowerCase().endsWith('.gguf')
            ? { kind: 'gguf' as const, file }
            : { kind: 'folder' as const, dir: file };
      retry.mutate({ id: editing.id, name: name.trim(), source });
      return;
    }
    if (tab === 'hub') fromHub.mutate({ repo: repo.trim(), name: name.trim() || undefined, scope });
    else if (path.trim().toLowerCase().endsWith('.gguf')) fromGguf.mutate({ file: path.trim(), name: name.trim(), scope });
    else fromFolder.mutate({ dir: path.trim(), name: name.trim(), scope });
  }

  return (
    <Dialog open={open} onOpenChange={close}>
      <DialogContent
        className="sm:max-w-lg"
        onEscapeKeyDown={(event) => {
          // The dialog hears Escape before the field does: the first one closes the search results only.
          if (showResults && tab === 'hub' && repo.trim().length >= 2) {
            event.preventDefault();
            setShowResults(false);
          }
        }}
      >
        <DialogHeader>
          <DialogTitle>{editing ? t('editTitle', { name: editing.name }) : t('title')}</DialogTitle>
          <DialogDescription>{editing ? t('editDescription') : t('description')}</DialogDescription>
        </DialogHeader>
        <form className="grid gap-4" onSubmit={submit}>
          {error && (
            <Alert variant="destructive" role="alert">
              <AlertDescription>{error.message}</AlertDescription>
            </Alert>
          )}
          <Tabs
            value={tab}
            onValueChange={(v) => {
              const next = v as 'hub' | 'server';
              setTab(next);
              if (!nameEdited) setName(suggestName(next === 'hub' ? repo : path));
            }}
          >
            {serverPaths && (
              <TabsList>
                <TabsTrigger value="hub">{t('tabs.hub')}</TabsTrigger>
                <TabsTrigger value="server">{t('tabs.server')}</TabsTrigger>
              </TabsList>
            )}
            <TabsContent value="hub" className="grid gap-2 pt-2">
              <FormField label={t('repo')} description={t('repoHint')} required>
                <Input
                  name="repo"
                  value={repo}
                  autoComplete="off"
                  placeholder="HuggingFaceTB/SmolLM2-135M-Instruct"
                  onChange={(e) => {
                    updateSource(e.target.value);
                    setShowResults(true);
                  }}
                  onKeyDown={(e) => {
                    if (e.key === 'Escape' && showResults) {
                      e.preventDefault();
                      setShowResults(false);
                    }
                  }}
                />
              </FormField>
              {showResults && query.length >= 2 && (
                <div className="rounded-md border" aria-live="polite">
                  {search.isFetching && !search.data ? (
                    <p className="text-muted-foreground p-2 text-sm">{t('searching')}</p>
                  ) : hubUnreachable(search.error) ? (
                    <p className="text-muted-foreground p-2 text-sm">{t('hubDown.noSearch')}</p>
                  ) : search.error ? (
                    <p className="text-destructive p-2 text-sm">{search.error.message}</p>
                  ) : !search.data?.length ? (
                    <p className="text-muted-foreground p-2 text-sm">{t('noResults')}</p>
                  ) : (
                    <ul aria-label={t('results')} className="max-h-48 overflow-y-auto py-1">
                      {search.data.map((m) => (
                        <li key={m.id}>
                          <button
                            type="button"
                            className="hover:bg-accent focus-visible:bg-accent flex w-full items-center justify-between gap-2 px-2 py-1.5 text-left text-sm outline-none"
                            onClick={() => {
                              updateSource(m.id);
                              setShowResults(false);
                            }}
                          >
                            <span className="truncate font-mono">{m.id}</span>
                            <span className="text-muted-foreground shrink-0 text-xs">
                              {m.gated ? `${t('gated')} · ` : ''}
                              {t('downloads', { count: m.downloads })}
                            </span>
                          </button>
                        </li>
                      ))}
                    </ul>
                  )}
                </div>
              )}
              {!showResults && repoValid && files.data && (
                <p className="text-muted-foreground text-sm" data-testid="hub-files">
                  {t('files', { count: downloads.length, size: fmt.bytes(downloads.reduce((s, f) => s + f.size, 0)) })}
                </p>
              )}
              {!showResults && repoValid && files.error && !hubDown && <p className="text-destructive text-sm">{files.error.message}</p>}
              {hubDown && (
                <Alert id={hubDownId} data-testid="hub-unreachable">
                  <AlertTitle>{t('hubDown.title')}</AlertTitle>
                  <AlertDescription>
                    <p>{t('hubDown.description')}</p>
                    <Button type="button" variant="outline" size="sm" className="mt-2" onClick={() => void (showResults ? search.refetch() : files.refetch())}>
                      {t('hubDown.retry')}
                    </Button>
                  </AlertDescription>
                </Alert>
              )}
            </TabsContent>
            <TabsContent value="server" className="grid gap-2 pt-2">
              <FormField label={t('path')} description={t('pathHint')} required>
                <Input name="path" value={path} autoComplete="off" placeholder="/models/SmolLM2-135M-Instruct" onChange={(e) => updateSource(e.target.value)} />
              </FormField>
            </TabsContent>
          </Tabs>
          <FormField label={t('name')} description={t('nameHint')} required>
            <Input
              name="name"
              value={name}
              maxLength={64}
              autoComplete="off"
              onChange={(e) => {
                setName(e.target.value);
                setNameEdited(true);
              }}
            />
          </FormField>
          {admin && !editing && (
            <FormField label={t('platform')} description={t('platformHint')} orientation="horizontal">
              <Switch checked={platform} onCheckedChange={setPlatform} />
            </FormField>
          )}
          <DialogFooter>
            <Button type="button" variant="outline" onClick={() => close(false)}>
              {t('cancel')}
            </Button>
            <Button type="submit" disabled={pending || hubDown || !name.trim() || (tab === 'hub' ? !repoValid : !path.trim())} aria-describedby={hubDown ? hubDownId : undefined}>
              {hubDown ? t('hubDown.submit') : editing ? t('editSubmit') : t('submit')}
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}
