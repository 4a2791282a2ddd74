'use client';

import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslations } from 'next-intl';
import { toast } from 'sonner';
import { Alert, AlertDescription } from '@/components/ui/alert';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { FormField } from '@/components/ui/form-field';
import { Input } from '@/components/ui/input';
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from '@/components/ui/select';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table';
import { ConfirmDialog } from '@/components/common/confirm-dialog';
import { useTRPC } from '@/lib/trpc/client';

/** The project's model aliases: create one, switch its target, delete it. */
export function ModelAliasesCard() {
  const t = useTranslations('serving');
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const aliases = useQuery(trpc.serving.alias.list.queryOptions());
  const models = useQuery(trpc.serving.chatModels.queryOptions());
  const targets = (models.data ?? []).filter((m) => m.kind !== 'alias');
  const [name, setName] = useState('');
  const [target, setTarget] = useState('');
  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: trpc.serving.alias.list.queryKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.serving.chatModels.queryKey() });
  };
  const create = useMutation(
    trpc.serving.alias.create.mutationOptions({
      onSuccess: (alias) => {
        toast.success(t('aliases.created', { name: alias.name, target: alias.target }));
        setName('');
        refresh();
      },
    }),
  );
  const update = useMutation(
    trpc.serving.alias.update.mutationOptions({
      onSuccess: (alias) => (toast.success(t('aliases.switched', { name: alias.name, target: alias.target })), refresh()),
      onError: (error) => toast.error(error.message),
    }),
  );
  const remove = useMutation(
    trpc.serving.alias.delete.mutationOptions({
      onSuccess: (alias) => (toast.success(t('aliases.deleted', { name: alias.name })), refresh()),
      onError: (error) => toast.error(error.message),
    }),
  );

  const targetItems = targets.map((m) => (
    <SelectItem key={m.id} value={m.id}>
      <span className="font-mono text-xs">{m.id}</span> <span className="text-muted-foreground text-xs">· {t(`kinds.${m.kind}`)}</span>
    </SelectItem>
  ));

  return (
    <Card data-testid="model-aliases">
      <CardHeader>
        <CardTitle>{t('aliases.title')}</CardTitle>
        <CardDescription>{t('aliases.description')}</CardDescription>
      </CardHeader>
      <CardContent className="grid gap-4">
        {aliases.data?.length ? (
          <Table>
            <TableHeader>
              <TableRow>
                <TableHead>{t('aliases.columns.name')}</TableHead>
                <TableHead>{t('aliases.columns.target')}</TableHead>
                <TableHead className="text-right">
                  <span className="sr-only">{t('aliases.columns.actions')}</span>
                </TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {aliases.data.map((alias) => (
                <TableRow key={alias.id} data-testid="alias-row" data-alias={alias.name}>
                  <TableCell className="font-mono text-sm">{alias.name}</TableCell>
                  <TableCell>
                    <div className="flex flex-wrap items-center gap-2">
                      <Select value={alias.target} onValueChange={(value) => update.mutate({ id: alias.id, target: value })}>
                        <SelectTrigger className="max-w-md" aria-label={t('aliases.switch', { name: alias.name })}>
                          <SelectValue />
                        </SelectTrigger>
                        <SelectContent>
                          {targets.some((m) => m.id === alias.target) ? null : (
                            <SelectItem value={alias.target} disabled>
                              <span className="font-mono text-xs">{alias.target}</span>
                            </SelectItem>
                          )}
                          {targetItems}
                        </SelectContent>
                      </Select>
                      {alias.targetKind ? <Badge variant="secondary">{t(`kinds.${alias.targetKind}`)}</Badge> : <Badge variant="destructive">{t('aliases.missingTarget')}</Badge>}
                    </div>
                  </TableCell>
                  <TableCell className="text-right">
                    <ConfirmDialog
                      trigger={
                        <Button variant="outline" size="sm" aria-label={t('aliases.deleteFor', { name: alias.name })}>
                          {t('aliases.delete')}
                        </Button>
                      }
                      title={t('aliases.deleteTitle', { name: alias.name })}
                      description={t('aliases.deleteDescription')}
                      confirmLabel={t('aliases.delete')}
                      onConfirm={() => remove.mutateAsync({ id: alias.id })}
                    />
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        ) : (
          <p className="text-muted-foreground text-sm">{t('aliases.empty')}</p>
        )}
        <form
          className="grid gap-3 sm:grid-cols-[1fr_1fr_auto] sm:items-end"
          onSubmit={(e) => {
            e.preventDefault();
            create.mutate({ name: name.trim(), target });
          }}
        >
          <FormField label={t('aliases.name')} description={t('aliases.nameHint')}>
            <Input value={name} onChange={(e) => setName(e.target.value)} placeholder="support-bot" maxLength={200} required />
          </FormField>
          <FormField label={t('aliases.target')}>
            {(control) => (
              <Select value={target} onValueChange={setTarget}>
                <SelectTrigger {...control} className="w-full">
                  <SelectValue placeholder={t('aliases.targetPlaceholder')} />
                </SelectTrigger>
                <SelectContent>{targetItems}</SelectContent>
              </Select>
            )}
          </FormField>
          <Button type="submit" disabled={create.isPending || !name.trim() || !target} className="sm:mb-6">
            {t('aliases.create')}
          </Button>
        </form>
        {create.error && (
          <Alert variant="destructive" role="alert">
            <AlertDescription>{create.error.message}</AlertDescription>
          </Alert>
        )}
      </CardContent>
    </Card>
  );
}
