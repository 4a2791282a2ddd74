import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { TRPCError } from '@trpc/server';
import { getDb } from '@/server/db';
import { LatheError } from '@/server/services/errors';
import type { DatasetStats, ValidationReport } from '@/lib/universal/dataset-report';
import { callerFor, createTestUser, type TestUser } from '@/tests/helpers/factories';
import { assertDatasetUsable } from './assert-dataset-usable';
import { datasetStore } from './config';
import { createDataset } from './create-dataset';
import { runDatasetValidation } from './run-dataset-validation';
import { FIXTURES, tenantOf, uploadAndValidate } from '../../../../tests/kit/datasets';

type Expected = Record<string, { file: string; kind: 'bad' | 'warn'; line: number | null; field: string | null; options?: Record<string, number> }>;

let user: TestUser;
let expected: Expected;

beforeAll(async () => {
  user = await createTestUser();
  expected = JSON.parse(await readFile(path.join(FIXTURES, 'expected.json'), 'utf8')) as Expected;
});

describe('dataset.validate on the worker side', () => {
  it('makes a good chat file VALID with its report, format, examples and statistics', async () => {
    const { outcome, row } = await uploadAndValidate(user, 'good/chat.jsonl');
    expect(outcome).toBe('VALID');
    expect(row).toMatchObject({ status: 'VALID', format: 'chat', examples: 12, error: null });
    const report = row.validation as unknown as ValidationReport;
    expect(report).toMatchObject({ ok: true, errors: 0, examples: 12, validExamples: 12, format: 'chat' });
    const stats = row.stats as unknown as DatasetStats;
    const text = await readFile(path.join(FIXTURES, 'good/chat.jsonl'), 'utf8');
    expect(stats.examples).toBe(12);
    expect(stats.bytes).toBe(Buffer.byteLength(text));
    expect(Number(row.sizeBytes)).toBe(Buffer.byteLength(text));
    expect(stats.histogram.reduce((sum, b) => sum + b.count, 0)).toBe(12);
    expect(stats.estimatedTokens).toBeGreaterThan(stats.estimatedTrainedTokens);
    expect(stats.estimatedTrainedTokens).toBeGreaterThan(0);
    expect(() => assertDatasetUsable(row)).not.toThrow();
    const audit = await getDb().auditLogEntry.findFirstOrThrow({ where: { action: 'dataset.validate', targetId: row.id } });
    expect(audit.data).toMatchObject({ status: 'VALID', examples: 12 });
  });

  it.each(['good/alpaca.jsonl', 'good/prompt-completion.jsonl'])('detects the format of %s', async (file) => {
    const { row } = await uploadAndValidate(user, file);
    expect(row.status).toBe('VALID');
    expect(row.format).toBe(file.includes('alpaca') ? 'alpaca' : 'prompt_completion');
  });

  it('rejects every bad file of the corpus at its line, keeping the report, and refuses it for a job', async () => {
    const bad = Object.entries(expected).filter(([, e]) => e.kind === 'bad' && !e.options);
    expect(bad.length).toBeGreaterThan(25);
    for (const [code, want] of bad) {
      const { outcome, row } = await uploadAndValidate(user, want.file);
      expect(outcome, code).toBe('INVALID');
      const report = row.validation as unknown as ValidationReport;
      const sample = report.byCode[code as keyof ValidationReport['byCode']]?.samples[0];
      expect(sample, code).toMatchObject({ line: want.line, field: want.field, code });
      expect(row.error, code).toMatch(/error/);
      let thrown: unknown;
      try {
        assertDatasetUsable(row);
      } catch (error) {
        thrown = error;
      }
      expect(thrown, code).toBeInstanceOf(LatheError);
      expect((thrown as LatheError).details.reason).toBe('invalid_dataset');
      expect((thrown as LatheError).message).toContain(code);
    }
  });

  it('keeps warnings from blocking', async () => {
    const { row } = await uploadAndValidate(user, expected.duplicate_example!.file);
    expect(row.status).toBe('VALID');
    expect((row.validation as unknown as ValidationReport).byCode.duplicate_example?.samples[0]?.line).toBe(expected.duplicate_example!.line);
  });

  it('survives hostile bytes: random data, NUL bytes, deep nesting, a huge string', async () => {
    const dir = os.tmpdir();
    const files = {
      random: randomBytes(200_000),
      nul: Buffer.from('{"messages":[{"role":"user","content":"a\u0000b"}]}\n\u0000\u0000\u0000\n'),
      surrogates: Buffer.from('{"messages":[{"role":"user","content":"hi","\\ud800":1}],"\\udc00x":2}\n{"prompt":"\\ud800"}\n'),
      nesting: Buffer.from(`${'['.repeat(200_000)}${']'.repeat(200_000)}\n`),
      huge: Buffer.from(`{"prompt":"${'x'.repeat(5_000_000)}","completion":"y"}\n{"prompt":`),
    };
    for (const [name, bytes] of Object.entries(files)) {
      const file = path.join(dir, `lathe-hostile-${name}-${process.pid}.jsonl`);
      await writeFile(file, bytes);
      const created = await createDataset({ tenant: tenantOf(user), source: { path: file }, filename: `${name}.jsonl` });
      expect(await runDatasetValidation({ datasetId: created.id }), name).toBe('INVALID');
    }
  });

  it('marks the dataset FAILED, with a readable reason, when its stored file is missing', async () => {
    const created = await callerFor(user).dataset.createFromText({ filename: 'gone.jsonl', content: '{"prompt":"only here","completion":"once"}\n' });
    await datasetStore().delete(created.sha256!);
    expect(await runDatasetValidation({ datasetId: created.id })).toBe('FAILED');
    const row = await getDb().dataset.findUniqueOrThrow({ where: { id: created.id } });
    expect(row.error).toMatch(/stored copy is missing/);
    expect(() => assertDatasetUsable(row)).toThrow(/could not be processed/);
  });

  it('is idempotent: a finished dataset is skipped, a deleted one too', async () => {
    const { row } = await uploadAndValidate(user, 'good/chat.jsonl');
    expect(await runDatasetValidation({ datasetId: row.id })).toBe('skipped');
    expect(await runDatasetValidation({ datasetId: 'no-such-dataset' })).toBe('skipped');
  });

  it('reports a dataset still validating as not ready for a job', async () => {
    const created = await callerFor(user).dataset.createFromText({ filename: 'pending.jsonl', content: '{"prompt":"a","completion":"b"}\n' });
    const row = await getDb().dataset.findUniqueOrThrow({ where: { id: created.id } });
    expect(() => assertDatasetUsable(row)).toThrow(/still being validated/);
    const detail = await callerFor(user).dataset.get({ id: created.id });
    expect(detail).toMatchObject({ status: 'UPLOADED', validation: null, stats: null, jobs: 0 });
    const missing = await callerFor(user).dataset.get({ id: 'nope' }).catch((e: unknown) => e);
    expect((missing as TRPCError).code).toBe('NOT_FOUND');
  });
});
