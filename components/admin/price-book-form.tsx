'use client';

import * as React from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslations } from 'next-intl';
import { toast } from 'sonner';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { FormField } from '@/components/ui/form-field';
import { Textarea } from '@/components/ui/textarea';
import { ZPriceBook } from '@/lib/universal/price-book';
import { useTRPC } from '@/lib/trpc/client';

/** The price book as JSON, checked in the browser with the same schema the server applies. */
export function PriceBookForm() {
  const t = useTranslations('admin.priceBook');
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const book = useQuery(trpc.admin.billing.priceBook.queryOptions());
  const [text, setText] = React.useState<string | null>(null);
  const [error, setError] = React.useState<string | undefined>();
  const save = useMutation(
    trpc.admin.billing.setPriceBook.mutationOptions({
      onSuccess: () => (toast.success(t('saved')), setText(null), queryClient.invalidateQueries({ queryKey: trpc.admin.billing.priceBook.queryKey() })),
      onError: (e) => setError(e.message),
    }),
  );
  const value = text ?? (book.data ? JSON.stringify(book.data, null, 2) : '');
  return (
    <Card className="min-w-0">
      <CardHeader>
        <CardTitle>{t('title')}</CardTitle>
        <CardDescription>{t('description')}</CardDescription>
      </CardHeader>
      <CardContent className="min-w-0">
        {/* The JSON's longest line must not size the form: a content-sized textarea in an auto grid track widened the page by the line's length. */}
        <form
          className="grid min-w-0 grid-cols-1 gap-3 [&>*]:min-w-0"
          onSubmit={(e) => {
            e.preventDefault();
            let parsed: unknown;
            try {
              parsed = JSON.parse(value);
            } catch {
              return setError(t('notJson'));
            }
            const checked = ZPriceBook.safeParse(parsed);
            if (!checked.success) {
              const issue = checked.error.issues[0]!;
              return setError(t('invalid', { path: issue.path.join('.') || '-', message: issue.message }));
            }
            setError(undefined);
            save.mutate(checked.data);
          }}
        >
          <FormField label={t('label')} error={error} className="min-w-0">
            <Textarea className="field-sizing-fixed min-h-72 w-full max-w-full min-w-0 font-mono text-xs [overflow-wrap:anywhere]" value={value} onChange={(e) => setText(e.target.value)} spellCheck={false} />
          </FormField>
          <div>
            <Button type="submit" disabled={save.isPending || !book.data}>
              {t('save')}
            </Button>
          </div>
        </form>
      </CardContent>
    </Card>
  );
}
