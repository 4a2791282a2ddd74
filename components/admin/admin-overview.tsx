'use client';

import { useMutation, useQuery } from '@tanstack/react-query';
import { useFormatter, useNow, useTranslations } from 'next-intl';
import { Server } from 'lucide-react';
import { Alert, AlertDescription } from '@/components/ui/alert';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table';
import { EmptyState } from '@/components/common/empty-state';
import { PageHeader } from '@/components/common/page-header';
import { OrganizationQuotasForm } from '@/components/admin/organization-quotas-form';
import { AdminBilling } from '@/components/admin/admin-billing';
import { useTRPC } from '@/lib/trpc/client';

export function AdminOverview() {
  const t = useTranslations('admin');
  const format = useFormatter();
  // relativeTime needs a `now`: without one next-intl logs ENVIRONMENT_FALLBACK on every render.
  const now = useNow({ updateInterval: 60_000 });
  const trpc = useTRPC();
  const users = useQuery(trpc.admin.users.queryOptions());
  const runners = useQuery(trpc.admin.runners.queryOptions(undefined, { refetchInterval: 10_000 }));
  const verify = useMutation(trpc.admin.verifyAudit.mutationOptions());
  return (
    // min-w-0 on the cards: a wide table scrolls inside its card instead of widening the page.
    <div className="grid min-w-0 grid-cols-1 gap-6 [&>*]:min-w-0">
      <PageHeader title={t('title')} description={t('description')} />
      <AdminBilling />
      <Card>
        <CardHeader>
          <CardTitle>{t('runners')}</CardTitle>
        </CardHeader>
        <CardContent className="py-4">
          {runners.data?.length === 0 ? (
            <EmptyState icon={<Server />} title={t('noRunners')} description={t('noRunnersHint')} />
          ) : (
            <Table>
              <TableHeader>
                <TableRow>
                  <TableHead>{t('runner')}</TableHead>
                  <TableHead>{t('status')}</TableHead>
                  <TableHead>{t('executor')}</TableHead>
                  <TableHead>{t('gpus')}</TableHead>
                  <TableHead>{t('heartbeat')}</TableHead>
                </TableRow>
              </TableHeader>
              <TableBody>
                {runners.data?.map((r) => (
                  <TableRow key={r.id}>
                    <TableCell>
                      <div className="font-medium">{r.name}</div>
                      <div className="text-muted-foreground text-xs [overflow-wrap:anywhere]">{r.hostname}</div>
                    </TableCell>
                    <TableCell>
                      <Badge variant={r.status === 'ONLINE' ? 'default' : 'secondary'}>{r.status.toLowerCase()}</Badge>
                    </TableCell>
                    <TableCell>
                      <div>{r.executor}</div>
                      {Array.isArray(r.slurmPartitions) && r.slurmPartitions.length > 0 && (
                        <ul className="mt-1 grid gap-1 text-xs" aria-label={t('partitions')} data-testid="runner-partitions">
                          {(r.slurmPartitions as { name: string; default: boolean; nodes: { name: string; state: string }[] }[]).map((p) => (
                            <li key={p.name} className="flex min-w-0 flex-wrap items-center gap-1">
                              <span className="font-mono">{p.default ? t('defaultPartition', { name: p.name }) : p.name}</span>
                              {p.nodes.map((n) => (
                                <Badge key={n.name} variant={/^(idle|mix|alloc)/.test(n.state) ? 'outline' : 'destructive'}>
                                  {t('nodeState', { node: n.name, state: n.state })}
                                </Badge>
                              ))}
                            </li>
                          ))}
                        </ul>
                      )}
                    </TableCell>
                    <TableCell>{Array.isArray(r.gpus) && r.gpus.length ? r.gpus.length : t('cpuOnly')}</TableCell>
                    <TableCell>{format.relativeTime(r.lastHeartbeatAt, now)}</TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          )}
        </CardContent>
      </Card>
      <Card>
        <CardHeader>
          <CardTitle>{t('audit')}</CardTitle>
        </CardHeader>
        <CardContent className="grid min-w-0 grid-cols-1 gap-3 py-4 [&>*]:min-w-0">
          <Button className="w-fit" variant="outline" onClick={() => verify.mutate()} disabled={verify.isPending}>
            {t('verifyAudit')}
          </Button>
          {verify.data && (
            <Alert variant={verify.data.ok ? 'default' : 'destructive'}>
              <AlertDescription>
                {verify.data.ok ? t('auditOk', { entries: verify.data.entries }) : t('auditBroken', { id: verify.data.brokenAtId, reason: verify.data.reason })}
              </AlertDescription>
            </Alert>
          )}
        </CardContent>
      </Card>
      <OrganizationQuotasForm />
      <Card>
        <CardHeader>
          <CardTitle>{t('users')}</CardTitle>
        </CardHeader>
        <CardContent className="py-4">
          <Table>
            <TableHeader>
              <TableRow>
                <TableHead>{t('user')}</TableHead>
                <TableHead>{t('role')}</TableHead>
                <TableHead>{t('joined')}</TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {users.data?.map((u) => (
                <TableRow key={u.id}>
                  <TableCell>
                    <div className="font-medium">{u.name}</div>
                    <div className="text-muted-foreground text-xs [overflow-wrap:anywhere]">{u.email}</div>
                  </TableCell>
                  <TableCell>{u.role.toLowerCase()}</TableCell>
                  <TableCell>{format.dateTime(u.createdAt, { dateStyle: 'medium' })}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </CardContent>
      </Card>
    </div>
  );
}
