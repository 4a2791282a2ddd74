'use client';

import * as React from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useFormatter, useTranslations } from 'next-intl';
import { toast } from 'sonner';
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { FormField } from '@/components/ui/form-field';
import { Input } from '@/components/ui/input';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table';
import { Stat } from '@/components/common/stat';
import { useMoney } from '@/components/billing/billing-panel';
import { useTRPC } from '@/lib/trpc/client';
import { PriceBookForm } from '@/components/admin/price-book-form';

function Section({ title, description, children }: { title: string; description?: string; children: React.ReactNode }) {
  return (
    <Card className="min-w-0">
      <CardHeader>
        <CardTitle>{title}</CardTitle>
        {description && <CardDescription>{description}</CardDescription>}
      </CardHeader>
      <CardContent className="grid min-w-0 gap-4">{children}</CardContent>
    </Card>
  );
}

export function AdminBilling() {
  const t = useTranslations('admin.billing');
  const format = useFormatter();
  const money = useMoney();
  const trpc = useTRPC();
  const dashboard = useQuery(trpc.admin.billing.dashboard.queryOptions());
  const d = dashboard.data;
  const credits = (v: string | number) => format.number(Number(v), { maximumFractionDigits: 2 });
  return (
    <div className="grid min-w-0 grid-cols-1 gap-6" data-testid="admin-billing">
      <Section title={t('title')} description={t('description')}>
        <div className="grid grid-cols-1 gap-4 sm:grid-cols-3 [&>*]:min-w-0">
          <Stat label={t('outstanding')} value={d ? credits(d.creditsOutstanding) : '…'} hint={d ? t('outstandingHint', { count: d.organizationsWithCredits }) : undefined} />
          <Stat label={t('net')} value={d ? d.revenueByMonth.slice(-1).map((r) => money(r.net, r.currency)).join(' · ') || '0' : '…'} />
          <Stat label={t('payments')} value={d ? format.number(d.revenueByDay.reduce((s, r) => s + r.payments, 0)) : '…'} />
        </div>
        <h3 className="text-sm font-medium">{t('revenueByDay')}</h3>
        {d && d.revenueByDay.length === 0 ? (
          <p className="text-muted-foreground text-sm">{t('noRevenue')}</p>
        ) : (
          <div className="h-56 w-full" role="img" aria-label={t('revenueByDay')}>
            <ResponsiveContainer width="100%" height="100%">
              <BarChart data={d?.revenueByDay.map((r) => ({ period: r.period, net: r.net / 100, refunded: r.refunded / 100 })) ?? []}>
                <CartesianGrid strokeDasharray="3 3" vertical={false} />
                <XAxis dataKey="period" fontSize={12} tickLine={false} />
                <YAxis fontSize={12} tickLine={false} width={56} />
                <Tooltip />
                <Bar dataKey="net" name={t('net')} fill="var(--chart-1)" isAnimationActive={false} />
                <Bar dataKey="refunded" name={t('refunded')} fill="var(--chart-4)" isAnimationActive={false} />
              </BarChart>
            </ResponsiveContainer>
          </div>
        )}
        <h3 className="text-sm font-medium">{t('revenueByMonth')}</h3>
        <div className="overflow-x-auto">
          <Table>
            <TableHeader>
              <TableRow>
                <TableHead>{t('period')}</TableHead>
                <TableHead className="text-right">{t('gross')}</TableHead>
                <TableHead className="text-right">{t('refunded')}</TableHead>
                <TableHead className="text-right">{t('net')}</TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {d?.revenueByMonth.map((r) => (
                <TableRow key={`${r.period}-${r.currency}`}>
                  <TableCell>{format.dateTime(new Date(`${r.period}T00:00:00Z`), { year: 'numeric', month: 'long', timeZone: 'UTC' })}</TableCell>
                  <TableCell className="text-right tabular-nums">{money(r.gross, r.currency)}</TableCell>
                  <TableCell className="text-right tabular-nums">{money(r.refunded, r.currency)}</TableCell>
                  <TableCell className="text-right tabular-nums">{money(r.net, r.currency)}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </div>
      </Section>

      <div className="grid min-w-0 grid-cols-1 gap-6 lg:grid-cols-2">
        <Section title={t('topOrganizations')}>
          {d && d.topOrganizations.length === 0 ? (
            <p className="text-muted-foreground text-sm">{t('noSpend')}</p>
          ) : (
            <Table>
              <TableBody>
                {d?.topOrganizations.map((o) => (
                  <TableRow key={o.organizationId}>
                    <TableCell className="break-all whitespace-normal">{o.name}</TableCell>
                    <TableCell className="text-right tabular-nums">{credits(o.spent)}</TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          )}
        </Section>
        <Section title={t('refundsAndDisputes')}>
          {d && d.refundsAndDisputes.length === 0 ? (
            <p className="text-muted-foreground text-sm">{t('noRefunds')}</p>
          ) : (
            <div className="overflow-x-auto">
              <Table>
                <TableBody>
                  {d?.refundsAndDisputes.map((p) => (
                    <TableRow key={p.id}>
                      <TableCell className="font-mono text-xs break-all whitespace-normal">{p.id}</TableCell>
                      <TableCell className="text-right tabular-nums">{p.currency ? money(p.amountRefunded, p.currency) : p.amountRefunded}</TableCell>
                      <TableCell>{p.disputedAt && <Badge variant="destructive">{t('disputed')}</Badge>}</TableCell>
                    </TableRow>
                  ))}
                </TableBody>
              </Table>
            </div>
          )}
        </Section>
        <Section title={t('jobs')}>
          <div className="flex flex-wrap gap-2">
            {d && Object.entries(d.jobsByState).map(([state, count]) => <Badge key={state} variant="secondary">{`${state}: ${format.number(count)}`}</Badge>)}
          </div>
          <h3 className="text-sm font-medium">{t('failures')}</h3>
          {d && d.recentFailures.length === 0 ? (
            <p className="text-muted-foreground text-sm">{t('noFailures')}</p>
          ) : (
            <ul className="grid gap-1 text-sm">
              {d?.recentFailures.map((f) => (
                <li key={f.id} className="min-w-0 [overflow-wrap:anywhere]">
                  <a className="underline" href={`/jobs/${f.id}`}>
                    {f.id}
                  </a>{' '}
                  <span className="text-muted-foreground">{f.message}</span>
                </li>
              ))}
            </ul>
          )}
        </Section>
        <Section title={t('manual')}>
          {d && d.grantsAndAdjustments.length === 0 ? (
            <p className="text-muted-foreground text-sm">{t('noManual')}</p>
          ) : (
            <div className="overflow-x-auto">
              <Table>
                <TableBody>
                  {d?.grantsAndAdjustments.slice(0, 20).map((g) => (
                    <TableRow key={g.id}>
                      <TableCell className="whitespace-nowrap">{format.dateTime(new Date(g.createdAt), { dateStyle: 'short' })}</TableCell>
                      <TableCell className="break-all whitespace-normal">{g.organizationName}</TableCell>
                      <TableCell className="text-right tabular-nums">{format.number(Number(g.amount), { signDisplay: 'always', maximumFractionDigits: 6 })}</TableCell>
                      <TableCell className="text-muted-foreground break-words whitespace-normal">{g.reason}</TableCell>
                    </TableRow>
                  ))}
                </TableBody>
              </Table>
            </div>
          )}
        </Section>
      </div>
      <AccountSearch />
      <PriceBookForm />
    </div>
  );
}

function AccountSearch() {
  const t = useTranslations('admin.billing');
  const format = useFormatter();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [query, setQuery] = React.useState('');
  const [submitted, setSubmitted] = React.useState('');
  const results = useQuery({ ...trpc.admin.billing.search.queryOptions({ query: submitted }), enabled: submitted.length > 0 });
  const refresh = () => queryClient.invalidateQueries();
  const onDone = { onSuccess: () => (toast.success(t('done')), refresh()), onError: (e: { message: string }) => toast.error(e.message) };
  const grant = useMutation(trpc.admin.billing.grant.mutationOptions(onDone));
  const adjust = useMutation(trpc.admin.billing.adjust.mutationOptions(onDone));
  const suspend = useMutation(trpc.admin.billing.setSuspended.mutationOptions(onDone));
  const unfreeze = useMutation(trpc.admin.billing.unfreeze.mutationOptions(onDone));
  const [amount, setAmount] = React.useState<Record<string, string>>({});
  const [reason, setReason] = React.useState<Record<string, string>>({});
  return (
    <Section title={t('search')}>
      <form
        className="flex flex-col gap-2 sm:flex-row sm:items-end"
        onSubmit={(e) => {
          e.preventDefault();
          setSubmitted(query.trim());
        }}
      >
        <FormField label={t('searchLabel')} className="flex-1">
          <Input value={query} onChange={(e) => setQuery(e.target.value)} type="search" />
        </FormField>
        <Button type="submit">{t('search')}</Button>
      </form>
      {results.data && results.data.users.length === 0 && results.data.organizations.length === 0 && <p className="text-muted-foreground text-sm">{t('searchEmpty')}</p>}
      {results.data && results.data.users.length > 0 && (
        <ul className="grid gap-1 text-sm">
          {results.data.users.map((u) => (
            <li key={u.id} className="break-all">
              {u.email} {u.role === 'ADMIN' && <Badge variant="secondary">admin</Badge>}
            </li>
          ))}
        </ul>
      )}
      {results.data?.organizations.map((o) => (
        <div key={o.id} className="grid min-w-0 grid-cols-1 gap-3 rounded-md border p-4 [&>*]:min-w-0" data-testid={`admin-org-${o.id}`}>
          <div className="flex flex-wrap items-center gap-2">
            <span className="min-w-0 font-medium break-all">{o.name}</span>
            <span className="text-muted-foreground min-w-0 font-mono text-xs break-all">{o.id}</span>
            <Badge variant={o.suspendedAt ? 'destructive' : 'secondary'}>{o.suspendedAt ? t('suspendedState') : t('active')}</Badge>
            {o.frozen && <Badge variant="destructive">{t('frozenState')}</Badge>}
            <span className="ml-auto tabular-nums">
              {t('balance')}: {format.number(Number(o.balance), { maximumFractionDigits: 6 })}
            </span>
          </div>
          <div className="grid grid-cols-1 gap-2 sm:grid-cols-2 [&>*]:min-w-0">
            <FormField label={t('amountLabel')}>
              <Input type="number" step="any" value={amount[o.id] ?? ''} onChange={(e) => setAmount((a) => ({ ...a, [o.id]: e.target.value }))} />
            </FormField>
            <FormField label={t('reasonLabel')}>
              <Input value={reason[o.id] ?? ''} onChange={(e) => setReason((r) => ({ ...r, [o.id]: e.target.value }))} />
            </FormField>
          </div>
          <div className="flex flex-wrap gap-2" aria-label={t('manage', { name: o.name })} role="group">
            <Button size="sm" onClick={() => grant.mutate({ organizationId: o.id, amount: Number(amount[o.id] ?? 0), reason: reason[o.id] ?? '' })}>
              {t('grant')}
            </Button>
            <Button size="sm" variant="outline" onClick={() => adjust.mutate({ organizationId: o.id, amount: Number(amount[o.id] ?? 0), reason: reason[o.id] ?? '' })}>
              {t('adjust')}
            </Button>
            <Button size="sm" variant={o.suspendedAt ? 'outline' : 'destructive'} onClick={() => suspend.mutate({ organizationId: o.id, suspended: !o.suspendedAt, reason: reason[o.id] ?? '' })}>
              {o.suspendedAt ? t('unsuspend') : t('suspend')}
            </Button>
            {o.frozen && (
              <Button size="sm" variant="outline" onClick={() => unfreeze.mutate({ organizationId: o.id, reason: reason[o.id] ?? '' })}>
                {t('unfreeze')}
              </Button>
            )}
          </div>
        </div>
      ))}
    </Section>
  );
}
