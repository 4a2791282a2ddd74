'use client';

import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useFormatter, useTranslations } from 'next-intl';
import { toast } from 'sonner';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { FormField } from '@/components/ui/form-field';
import { Input } from '@/components/ui/input';
import { CopyButton } from '@/components/common/copy-button';
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from '@/components/ui/select';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table';
import { ConfirmDialog } from '@/components/common/confirm-dialog';
import { fieldErrors } from '@/components/auth/field-errors';
import { useTRPC } from '@/lib/trpc/client';

export function MembersTable() {
  const t = useTranslations('settings.members');
  const format = useFormatter();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const current = useQuery(trpc.organization.current.queryOptions());
  const members = useQuery(trpc.organization.members.queryOptions());
  const canManage = current.data?.role === 'OWNER' || current.data?.role === 'ADMIN';
  const [role, setRole] = useState<'MEMBER' | 'ADMIN'>('MEMBER');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [link, setLink] = useState<{ email: string; url: string } | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.organization.members.queryKey() });
  const invite = useMutation(trpc.organization.invite.mutationOptions({ onSuccess: refresh }));
  const remove = useMutation(trpc.organization.removeMember.mutationOptions({ onSuccess: refresh, onError: (e) => toast.error(e.message) }));
  const revoke = useMutation(trpc.organization.revokeInvitation.mutationOptions({ onSuccess: refresh, onError: (e) => toast.error(e.message) }));

  return (
    <div className="grid gap-6">
      {canManage && (
        <Card className="max-w-2xl">
          <CardHeader>
            <CardTitle>{t('inviteTitle')}</CardTitle>
          </CardHeader>
          <CardContent className="py-4">
            <form
              className="flex flex-wrap items-end gap-2"
              noValidate
              onSubmit={async (e) => {
                e.preventDefault();
                const formEl = e.currentTarget;
                setErrors({});
                try {
                  const res = await invite.mutateAsync({ email: String(new FormData(formEl).get('email')), role });
                  toast.success(t('invited', { email: res.email }));
                  setLink(res.link ? { email: res.email, url: res.link } : null);
                  formEl.reset();
                } catch (error) {
                  setErrors(fieldErrors(error, t('error')));
                }
              }}
            >
              <FormField label={t('email')} error={errors.email ?? errors.form} className="min-w-60 flex-1">
                <Input name="email" type="email" required />
              </FormField>
              <FormField label={t('role')}>
                {(control) => (
                  <Select value={role} onValueChange={(v) => setRole(v as 'MEMBER' | 'ADMIN')}>
                    <SelectTrigger {...control} className="w-32">
                      <SelectValue />
                    </SelectTrigger>
                    <SelectContent>
                      <SelectItem value="MEMBER">{t('roles.MEMBER')}</SelectItem>
                      <SelectItem value="ADMIN">{t('roles.ADMIN')}</SelectItem>
                    </SelectContent>
                  </Select>
                )}
              </FormField>
              <Button type="submit" disabled={invite.isPending}>
                {t('invite')}
              </Button>
            </form>
            {link && (
              <div className="mt-4 grid gap-2" data-testid="invite-link">
                <p className="text-sm">{t('linkHint', { email: link.email })}</p>
                <div className="flex min-w-0 items-center gap-2">
                  <Input readOnly value={link.url} aria-label={t('linkLabel')} className="min-w-0 font-mono text-xs" onFocus={(e) => e.currentTarget.select()} />
                  <CopyButton value={link.url} label={t('copyLink')} showText variant="outline" />
                </div>
              </div>
            )}
          </CardContent>
        </Card>
      )}
      <Table>
        <TableHeader>
          <TableRow>
            <TableHead>{t('member')}</TableHead>
            <TableHead>{t('role')}</TableHead>
            <TableHead>{t('since')}</TableHead>
            <TableHead className="text-right">
              <span className="sr-only">{t('actions')}</span>
            </TableHead>
          </TableRow>
        </TableHeader>
        <TableBody>
          {members.data?.members.map((m) => (
            <TableRow key={m.id}>
              <TableCell>
                <div className="font-medium">{m.name}</div>
                <div className="text-muted-foreground text-xs">{m.email}</div>
              </TableCell>
              <TableCell>
                <Badge variant={m.role === 'OWNER' ? 'default' : 'secondary'}>{t(`roles.${m.role}`)}</Badge>
              </TableCell>
              <TableCell>{format.dateTime(m.createdAt, { dateStyle: 'medium' })}</TableCell>
              <TableCell className="text-right">
                {canManage && (
                  <ConfirmDialog
                    trigger={
                      <Button variant="ghost" size="sm">
                        {t('remove')}
                      </Button>
                    }
                    title={t('removeConfirm', { email: m.email })}
                    confirmLabel={t('remove')}
                    onConfirm={() => remove.mutateAsync({ membershipId: m.id })}
                  />
                )}
              </TableCell>
            </TableRow>
          ))}
          {members.data?.invitations.map((i) => (
            <TableRow key={i.id} data-testid="pending-invitation">
              <TableCell>
                <div className="font-medium">{i.email}</div>
                <div className="text-muted-foreground text-xs">{t('pending', { date: format.dateTime(i.expiresAt, { dateStyle: 'medium' }) })}</div>
              </TableCell>
              <TableCell>
                <Badge variant="outline">{t(`roles.${i.role}`)}</Badge>
              </TableCell>
              <TableCell>—</TableCell>
              <TableCell className="text-right">
                {canManage && (
                  <Button variant="ghost" size="sm" onClick={() => revoke.mutate({ invitationId: i.id })}>
                    {t('revokeInvite')}
                  </Button>
                )}
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </div>
  );
}
