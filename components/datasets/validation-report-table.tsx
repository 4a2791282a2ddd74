'use client';

import { useTranslations } from 'next-intl';
import { ChevronRight } from 'lucide-react';
import { Badge } from '@/components/ui/badge';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table';
import type { CodeDoc, CodeSummary, ValidationReport } from '@/lib/universal/dataset-report';
import { useDatasetFormat } from '@/components/datasets/use-dataset-format';
import { cn } from '@/lib/utils';

/** `code` spans of the documentation text as <code>. */
function DocText({ text }: { text: string }) {
  return (
    <>
      {text.split(/(`[^`]+`)/).map((part, i) =>
        part.startsWith('`') && part.endsWith('`') ? (
          <code key={i} className="bg-muted rounded px-1 font-mono text-xs">
            {part.slice(1, -1)}
          </code>
        ) : (
          part.replaceAll('**', '')
        ),
      )}
    </>
  );
}

/** Counts per code, errors first; each opens to its documentation and first findings with line and field. */
export function ValidationReportTable({ report, docs }: { report: ValidationReport; docs: Record<string, CodeDoc> }) {
  const t = useTranslations('datasets.report');
  const fmt = useDatasetFormat();
  const codes = (Object.entries(report.byCode) as [string, CodeSummary][]).sort(([, a], [, b]) => (a.severity === b.severity ? b.count - a.count : a.severity === 'error' ? -1 : 1));
  return (
    <div className="grid gap-3" data-testid="validation-report">
      <p className="text-muted-foreground text-sm">{t('lines', { lines: report.lines, examples: report.examples, valid: fmt.count(report.validExamples) })}</p>
      {codes.length === 0 ? (
        <p className="text-sm">{t('none')}</p>
      ) : (
        <ul className="grid gap-2">
          {codes.map(([code, summary]) => {
            const doc = docs[code];
            return (
              <li key={code} id={`code-${code}`} data-testid="validation-code" data-code={code} data-count={summary.count}>
                <details className="group rounded-md border">
                  <summary className="hover:bg-muted/50 flex cursor-pointer list-none items-center gap-3 rounded-md p-3 text-sm [&::-webkit-details-marker]:hidden">
                    <ChevronRight className="size-4 shrink-0 transition-transform group-open:rotate-90" aria-hidden />
                    <code className="font-mono text-xs font-semibold">{code}</code>
                    <Badge variant="outline" className={cn(summary.severity === 'error' ? 'text-destructive border-destructive/30' : 'text-warning border-warning/30')}>
                      {summary.severity === 'error' ? t('error') : t('warning')}
                    </Badge>
                    <span className="tabular-nums">× {fmt.count(summary.count)}</span>
                    <span className="text-muted-foreground hidden truncate md:inline">{doc?.summary}</span>
                    <span className="sr-only">{t('showFindings', { code })}</span>
                  </summary>
                  <div className="grid gap-3 border-t p-3">
                    {doc && (
                      <div className="grid gap-1 text-sm">
                        <p>
                          <DocText text={doc.meaning} />
                        </p>
                        {doc.fix && (
                          <p>
                            <span className="font-medium">{t('fix')}: </span>
                            <DocText text={doc.fix} />
                          </p>
                        )}
                      </div>
                    )}
                    {summary.count > summary.samples.length && <p className="text-muted-foreground text-xs">{t('firstOf', { shown: summary.samples.length, count: fmt.count(summary.count) })}</p>}
                    <Table>
                      <TableHeader>
                        <TableRow>
                          <TableHead className="w-20">{t('line')}</TableHead>
                          <TableHead>{t('field')}</TableHead>
                          <TableHead>{t('message')}</TableHead>
                        </TableRow>
                      </TableHeader>
                      <TableBody>
                        {summary.samples.map((finding, i) => (
                          <TableRow key={i} data-testid="finding" data-line={finding.line ?? ''}>
                            <TableCell className="tabular-nums">{finding.line ?? t('wholeFile')}</TableCell>
                            <TableCell className="font-mono text-xs">{finding.field ?? '—'}</TableCell>
                            <TableCell className="text-sm break-words whitespace-normal">{finding.message}</TableCell>
                          </TableRow>
                        ))}
                      </TableBody>
                    </Table>
                  </div>
                </details>
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}
