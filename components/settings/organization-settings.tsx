'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslations } from 'next-intl';
import { toast } from 'sonner';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardFooter, CardHeader, CardTitle } from '@/components/ui/card';
import { FormField } from '@/components/ui/form-field';
import { Input } from '@/components/ui/input';
import { HubTokenCard } from '@/components/settings/hub-token-card';
import { OrganizationLimitsCard } from '@/components/settings/organization-limits-card';
import { useTRPC } from '@/lib/trpc/client';

export function OrganizationSettings() {
  const t = useTranslations('settings.organization');
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const current = useQuery(trpc.organization.current.queryOptions());
  const projects = useQuery(trpc.project.list.queryOptions());
  const canManage = current.data?.role !== 'MEMBER';
  const rename = useMutation(
    trpc.organization.rename.mutationOptions({
      onSuccess: () => {
        toast.success(t('saved'));
        void queryClient.invalidateQueries();
      },
    }),
  );
  const createProject = useMutation(
    trpc.project.create.mutationOptions({
      onSuccess: (p) => {
        toast.success(t('projectCreated', { name: p.name }));
        void queryClient.invalidateQueries();
      },
    }),
  );

  return (
    <div className="grid max-w-2xl gap-6">
      <Card>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            rename.mutate({ name: String(new FormData(e.currentTarget).get('name')) });
          }}
        >
          <CardHeader>
            <CardTitle>{t('title')}</CardTitle>
            <CardDescription>{t('slug', { slug: current.data?.organization.slug ?? '' })}</CardDescription>
          </CardHeader>
          <CardContent className="py-4">
            <FormField label={t('name')} error={rename.error?.message}>
              <Input name="name" defaultValue={current.data?.organization.name} key={current.data?.organization.name} disabled={!canManage} required />
            </FormField>
          </CardContent>
          <CardFooter>
            <Button type="submit" disabled={!canManage || rename.isPending}>
              {t('save')}
            </Button>
          </CardFooter>
        </form>
      </Card>
      <Card>
        <CardHeader>
          <CardTitle>{t('projects')}</CardTitle>
          <CardDescription>{t('projectsDescription')}</CardDescription>
        </CardHeader>
        <CardContent className="grid gap-4 py-4">
          <ul className="divide-y rounded-md border">
            {projects.data?.map((p) => (
              <li key={p.id} className="flex flex-wrap items-center justify-between gap-x-3 px-3 py-2 text-sm">
                <span className="min-w-0 font-medium break-words">{p.name}</span>
                <code className="text-muted-foreground min-w-0 text-xs break-all">{p.id}</code>
              </li>
            ))}
          </ul>
          {canManage && (
            <form
              className="flex items-end gap-2"
              onSubmit={(e) => {
                e.preventDefault();
                const formEl = e.currentTarget;
                createProject.mutate({ name: String(new FormData(formEl).get('project')) }, { onSuccess: () => formEl.reset() });
              }}
            >
              <FormField label={t('newProject')} error={createProject.error?.message} className="flex-1">
                <Input name="project" required maxLength={100} />
              </FormField>
              <Button type="submit" disabled={createProject.isPending}>
                {t('createProject')}
              </Button>
            </form>
          )}
        </CardContent>
      </Card>
      <HubTokenCard canManage={canManage} />
      <OrganizationLimitsCard />
    </div>
  );
}
