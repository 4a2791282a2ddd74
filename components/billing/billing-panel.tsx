'use client';

import * as React from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useFormatter, useTranslations } from 'next-intl';
import { toast } from 'sonner';
import { CreditCard, FileText } from 'lucide-react';
import { Alert, AlertDescription, AlertTitle } from '@/components/ui/alert';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { FormField } from '@/components/ui/form-field';
import { Input } from '@/components/ui/input';
import { Switch } from '@/components/ui/switch';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table';
import { EmptyState } from '@/components/common/empty-state';
import { Stat } from '@/components/common/stat';
import { useTRPC } from '@/lib/trpc/client';

const selectClass =
  'border-input bg-background focus-visible:border-ring focus-visible:ring-ring/50 h-9 w-full rounded-md border px-3 text-sm shadow-xs outline-none focus-visible:ring-[3px]';

/** Formats an amount in the smallest currency unit (cents) in the user's locale. */
export function useMoney() {
  const format = useFormatter();
  return (amount: number, currency: string) => {
    const digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    return format.number(amount / 10 ** digits, { style: 'currency', currency: currency.toUpperCase() });
  };
}

type Summary = NonNullable<ReturnType<typeof useSummary>['data']>;

export function useSummary() {
  const trpc = useTRPC();
  return useQuery(trpc.billing.summary.queryOptions());
}

export function BillingStatus({ summary }: { summary: Summary }) {
  const t = useTranslations('billing');
  const format = useFormatter();
  const credits = (v: string | number) => format.number(Number(v), { maximumFractionDigits: 6 });
  return (
    <>
      {summary.suspendedReason && (
        <Alert variant="destructive">
          <AlertTitle>{t('suspended')}</AlertTitle>
          <AlertDescription>{summary.suspendedReason}</AlertDescription>
        </Alert>
      )}
      {summary.frozenReason && (
        <Alert variant="destructive">
          <AlertTitle>{t('frozen')}</AlertTitle>
          <AlertDescription>{summary.frozenReason}</AlertDescription>
        </Alert>
      )}
      <div className="grid gap-4 sm:grid-cols-2">
        <Card>
          <CardContent className="py-4">
            <Stat label={t('balance')} value={<span data-testid="billing-balance">{credits(summary.balance)}</span>} />
          </CardContent>
        </Card>
        <Card>
          <CardContent className="py-4">
            <Stat
              label={t('spentThisMonth')}
              value={credits(summary.spentThisMonth)}
              hint={summary.monthlySpendCap ? t('spentOfCap', { spent: credits(summary.spentThisMonth), cap: credits(summary.monthlySpendCap) }) : t('noCap')}
            />
          </CardContent>
        </Card>
      </div>
    </>
  );
}

export function BuyCredits({ summary }: { summary: Summary }) {
  const t = useTranslations('billing');
  const format = useFormatter();
  const money = useMoney();
  const trpc = useTRPC();
  const checkout = useMutation(trpc.billing.checkout.mutationOptions({ onSuccess: (s) => window.location.assign(s.url), onError: (e) => toast.error(e.message) }));
  if (!summary.billingEnabled) {
    return (
      <Card data-testid="billing-off">
        <CardHeader>
          <CardTitle>{t('off.title')}</CardTitle>
          <CardDescription>{t('off.description')}</CardDescription>
        </CardHeader>
        <CardContent className="grid gap-2 text-sm">
          <p>{summary.operatorContact ? t('off.contact', { contact: summary.operatorContact, organization: `${summary.organizationName} (${summary.organizationId})` }) : t('off.noContact', { organization: `${summary.organizationName} (${summary.organizationId})` })}</p>
          <p className="text-muted-foreground break-words">{t('off.cli')}</p>
        </CardContent>
      </Card>
    );
  }
  const canBuy = summary.role !== 'MEMBER';
  return (
    <Card>
      <CardHeader>
        <CardTitle>{t('buy.title')}</CardTitle>
        <CardDescription>{canBuy ? t('buy.description') : t('buy.onlyAdmins')}</CardDescription>
      </CardHeader>
      <CardContent className="grid gap-3 sm:grid-cols-3">
        {summary.packs.map((pack) => (
          <div key={pack.id} className="flex flex-col gap-2 rounded-md border p-4" data-testid={`pack-${pack.id}`}>
            <div className="text-lg font-semibold">{money(pack.amount, pack.currency)}</div>
            <div className="text-sm">{t('buy.credits', { credits: format.number(pack.totalCredits) })}</div>
            {pack.bonusCredits > 0 && <div className="text-muted-foreground text-xs">{t('buy.bonus', { bonus: format.number(pack.bonusCredits) })}</div>}
            <Button className="mt-auto" disabled={!canBuy || checkout.isPending} onClick={() => checkout.mutate({ pack: pack.id })}>
              {checkout.isPending && checkout.variables?.pack === pack.id ? t('buy.redirecting') : t('buy.action', { pack: pack.id })}
            </Button>
          </div>
        ))}
      </CardContent>
    </Card>
  );
}

export function PortalAndInvoices({ summary }: { summary: Summary }) {
  const t = useTranslations('billing');
  const format = useFormatter();
  const money = useMoney();
  const trpc = useTRPC();
  const invoices = useQuery({ ...trpc.billing.invoices.queryOptions(), enabled: summary.billingEnabled && summary.hasCustomer });
  const portal = useMutation(trpc.billing.portal.mutationOptions({ onSuccess: (s) => window.location.assign(s.url), onError: (e) => toast.error(e.message) }));
  if (!summary.billingEnabled) return null;
  return (
    <Card>
      <CardHeader>
        <CardTitle>{t('portal.title')}</CardTitle>
        <CardDescription>{summary.hasCustomer ? t('portal.description') : t('portal.noCustomer')}</CardDescription>
      </CardHeader>
      <CardContent className="grid gap-4">
        {summary.hasCustomer && summary.role !== 'MEMBER' && (
          <div>
            <Button variant="outline" onClick={() => portal.mutate()} disabled={portal.isPending}>
              <CreditCard aria-hidden /> {t('portal.action')}
            </Button>
          </div>
        )}
        <h3 className="text-sm font-medium">{t('invoices.title')}</h3>
        {!invoices.data || invoices.data.length === 0 ? (
          <EmptyState icon={<FileText />} title={t('invoices.empty')} />
        ) : (
          <div className="overflow-x-auto">
            <Table>
              <TableHeader>
                <TableRow>
                  <TableHead>{t('date')}</TableHead>
                  <TableHead>{t('invoices.number')}</TableHead>
                  <TableHead>{t('invoices.status')}</TableHead>
                  <TableHead className="text-right">{t('amount')}</TableHead>
                  <TableHead />
                </TableRow>
              </TableHeader>
              <TableBody>
                {invoices.data.map((i) => (
                  <TableRow key={i.id}>
                    <TableCell>{format.dateTime(new Date(i.created), { dateStyle: 'medium' })}</TableCell>
                    <TableCell>{i.number}</TableCell>
                    <TableCell>
                      <Badge variant="secondary">{i.status}</Badge>
                    </TableCell>
                    <TableCell className="text-right tabular-nums">{money(i.amount, i.currency)}</TableCell>
                    <TableCell>{i.url && <a className="underline" href={i.url} target="_blank" rel="noreferrer">{t('invoices.open')}</a>}</TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          </div>
        )}
      </CardContent>
    </Card>
  );
}

export function AutoTopUpForm({ summary }: { summary: Summary }) {
  const t = useTranslations('billing');
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [enabled, setEnabled] = React.useState(summary.autoTopUp.enabled);
  const [threshold, setThreshold] = React.useState(summary.autoTopUp.threshold ?? '');
  const [packId, setPackId] = React.useState(summary.autoTopUp.packId ?? '');
  const save = useMutation(
    trpc.billing.setAutoTopUp.mutationOptions({
      onSuccess: () => (toast.success(t('autoTopUp.saved')), queryClient.invalidateQueries({ queryKey: trpc.billing.summary.queryKey() })),
    }),
  );
  if (!summary.billingEnabled) return null;
  const owner = summary.role === 'OWNER';
  const error = save.error?.message;
  return (
    <Card>
      <CardHeader>
        <CardTitle>{t('autoTopUp.title')}</CardTitle>
        <CardDescription>{owner ? (summary.hasCustomer ? t('autoTopUp.description') : t('autoTopUp.needsPurchase')) : t('autoTopUp.ownersOnly')}</CardDescription>
      </CardHeader>
      <CardContent>
        {summary.autoTopUp.disabledReason && !summary.autoTopUp.enabled && (
          <Alert variant="destructive" className="mb-4" data-testid="auto-top-up-off">
            <AlertDescription>{t('autoTopUp.disabledReason', { reason: summary.autoTopUp.disabledReason })}</AlertDescription>
          </Alert>
        )}
        <form
          className="grid gap-4 sm:grid-cols-3 sm:items-end"
          onSubmit={(e) => {
            e.preventDefault();
            save.mutate({ enabled, threshold: threshold === '' ? null : Number(threshold), packId: packId || null });
          }}
        >
          <FormField label={t('autoTopUp.enabled')} orientation="horizontal">
            <Switch checked={enabled} onCheckedChange={setEnabled} disabled={!owner} />
          </FormField>
          <FormField label={t('autoTopUp.threshold')}>
            <Input type="number" min={1} step="any" inputMode="decimal" value={threshold} onChange={(e) => setThreshold(e.target.value)} disabled={!owner} />
          </FormField>
          <FormField label={t('autoTopUp.pack')}>
            <select className={selectClass} value={packId} onChange={(e) => setPackId(e.target.value)} disabled={!owner}>
              <option value="">{t('autoTopUp.choosePack')}</option>
              {summary.packs.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.id}
                </option>
              ))}
            </select>
          </FormField>
          {error && (
            <p role="alert" className="text-destructive text-sm sm:col-span-3">
              {error}
            </p>
          )}
          <div className="sm:col-span-3">
            <Button type="submit" disabled={!owner || save.isPending}>
              {t('autoTopUp.save')}
            </Button>
          </div>
        </form>
      </CardContent>
    </Card>
  );
}

export function SpendCaps({ summary }: { summary: Summary }) {
  const t = useTranslations('billing');
  const format = useFormatter();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const owner = summary.role === 'OWNER';
  const [cap, setCap] = React.useState(summary.monthlySpendCap ?? '');
  const keys = useQuery(trpc.billing.keySpend.queryOptions());
  const [keyCaps, setKeyCaps] = React.useState<Record<string, string>>({});
  const refresh = () => Promise.all([queryClient.invalidateQueries({ queryKey: trpc.billing.summary.queryKey() }), queryClient.invalidateQueries({ queryKey: trpc.billing.keySpend.queryKey() })]);
  const saveCap = useMutation(trpc.billing.setSpendCap.mutationOptions({ onSuccess: () => (toast.success(t('cap.saved')), refresh()) }));
  const saveKey = useMutation(trpc.billing.setKeySpendCap.mutationOptions({ onSuccess: () => (toast.success(t('cap.saved')), refresh()), onError: (e) => toast.error(e.message) }));
  const credits = (v: string) => format.number(Number(v), { maximumFractionDigits: 2 });
  return (
    <Card>
      <CardHeader>
        <CardTitle>{t('cap.title')}</CardTitle>
        <CardDescription>{t('cap.description')}</CardDescription>
      </CardHeader>
      <CardContent className="grid gap-6">
        <form
          className="grid gap-3 sm:grid-cols-[1fr_auto] sm:items-end"
          onSubmit={(e) => {
            e.preventDefault();
            saveCap.mutate({ cap: cap === '' ? null : Number(cap) });
          }}
        >
          <FormField label={t('cap.label')} error={saveCap.error?.message}>
            <Input type="number" min={1} step="any" inputMode="decimal" value={cap} onChange={(e) => setCap(e.target.value)} disabled={!owner} />
          </FormField>
          <Button type="submit" disabled={!owner || saveCap.isPending}>
            {t('cap.save')}
          </Button>
        </form>
        <div className="grid gap-2">
          <h3 className="text-sm font-medium">{t('cap.keys')}</h3>
          <p className="text-muted-foreground text-sm">{t('cap.keysDescription')}</p>
          {keys.data && keys.data.length === 0 ? (
            <p className="text-muted-foreground text-sm">{t('cap.noKeys')}</p>
          ) : (
            <div className="overflow-x-auto">
              <Table>
                <TableHeader>
                  <TableRow>
                    <TableHead>{t('cap.key')}</TableHead>
                    <TableHead className="text-right">{t('cap.keySpent')}</TableHead>
                    <TableHead>{t('cap.keyCap')}</TableHead>
                  </TableRow>
                </TableHeader>
                <TableBody>
                  {keys.data?.map((k) => (
                    <TableRow key={k.id}>
                      <TableCell>
                        {k.name} <span className="text-muted-foreground font-mono text-xs">{k.prefix}…</span>
                      </TableCell>
                      <TableCell className="text-right tabular-nums">{k.cap ? t('spentOfCap', { spent: credits(k.spent), cap: credits(k.cap) }) : credits(k.spent)}</TableCell>
                      <TableCell>
                        <form
                          className="flex gap-2"
                          onSubmit={(e) => {
                            e.preventDefault();
                            const value = keyCaps[k.id] ?? k.cap ?? '';
                            saveKey.mutate({ apiKeyId: k.id, cap: value === '' ? null : Number(value) });
                          }}
                        >
                          <Input
                            className="w-28"
                            type="number"
                            min={1}
                            step="any"
                            aria-label={t('cap.keyCap')}
                            value={keyCaps[k.id] ?? k.cap ?? ''}
                            onChange={(e) => setKeyCaps((c) => ({ ...c, [k.id]: e.target.value }))}
                            disabled={!owner}
                          />
                          <Button type="submit" variant="outline" size="sm" disabled={!owner} aria-label={t('cap.saveKey', { key: k.name })}>
                            {t('cap.save')}
                          </Button>
                        </form>
                      </TableCell>
                    </TableRow>
                  ))}
                </TableBody>
              </Table>
            </div>
          )}
        </div>
      </CardContent>
    </Card>
  );
}
