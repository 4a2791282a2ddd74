import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { VALIDATION_CODES, type CodeDoc, type ValidationCode } from '@/lib/universal/dataset-report';

const SECTION = /^#### `([a-z_0-9]+)` \((error|warning)\)\s*$/;

/**
 * Every validation code's explanation and fix as written in docs/datasets.md (one `#### \`code\``
 * section each), so the dataset page shows the same text as the documentation. Codes the file
 * does not describe, or a missing file, fall back to the one-line summary.
 */
export async function loadCodeDocs(file = path.join(process.cwd(), 'docs', 'datasets.md')): Promise<Record<ValidationCode, CodeDoc>> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const sections = new Map<string, string[]>();
  let current: string[] | null = null;
  for (const line of text.split('\n')) {
    const heading = SECTION.exec(line);
    if (heading) {
      current = [];
      sections.set(heading[1]!, current);
    } else if (line.startsWith('#')) {
      current = null;
    } else if (current) {
      current.push(line);
    }
  }
  const docs = {} as Record<ValidationCode, CodeDoc>;
  for (const [code, info] of Object.entries(VALIDATION_CODES) as [ValidationCode, (typeof VALIDATION_CODES)[ValidationCode]][]) {
    const body = (sections.get(code) ?? []).join('\n').trim().replace(/\s*\n\s*/g, ' ');
    const [meaning, fix] = body.split(/\*\*Fix:\*\*/);
    docs[code] = { severity: info.severity, summary: info.summary, meaning: meaning?.trim() || info.summary, fix: fix?.trim() || null };
  }
  return docs;
}
