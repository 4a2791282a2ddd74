import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { VALIDATION_CODES } from '@/lib/universal/dataset-report';
import { loadCodeDocs } from './code-docs';
import { cleanFilename, DEFAULT_MAX_UPLOAD_BYTES, formatBytes, maxUploadBytes } from './config';
import { computeDatasetStats } from './dataset-stats';
import type { DatasetSummary } from './dataset-views';
import { fromFileId, toFileId, toOpenAIFile } from './openai-files';
import { postgresSafe } from './run-dataset-validation';

describe('upload settings', () => {
  it('reads LATHE_MAX_UPLOAD_BYTES, defaulting to 512 MiB, and refuses nonsense', () => {
    expect(maxUploadBytes({})).toBe(DEFAULT_MAX_UPLOAD_BYTES);
    expect(DEFAULT_MAX_UPLOAD_BYTES).toBe(512 * 1024 * 1024);
    expect(maxUploadBytes({ LATHE_MAX_UPLOAD_BYTES: '1048576' })).toBe(1048576);
    expect(() => maxUploadBytes({ LATHE_MAX_UPLOAD_BYTES: '1e3x' })).toThrow(/positive whole number/);
    expect(() => maxUploadBytes({ LATHE_MAX_UPLOAD_BYTES: '-5' })).toThrow(/positive whole number/);
  });

  it('formats sizes in binary units', () => {
    expect(formatBytes(100)).toBe('100 bytes');
    expect(formatBytes(DEFAULT_MAX_UPLOAD_BYTES)).toBe('512 MiB');
    expect(formatBytes(1536)).toBe('1.5 KiB');
  });

  it('keeps only a safe base name of what a client sent', () => {
    expect(cleanFilename('../../etc/passwd')).toBe('passwd');
    expect(cleanFilename('C:\\data\\train.jsonl')).toBe('train.jsonl');
    expect(cleanFilename('a\u0000b\nc.jsonl')).toBe('abc.jsonl');
    expect(cleanFilename('')).toBe('dataset.jsonl');
    expect(cleanFilename(null)).toBe('dataset.jsonl');
    expect(cleanFilename('x'.repeat(400))).toHaveLength(255);
  });
});

describe('OpenAI file ids and objects', () => {
  it('maps dataset ids to file ids both ways and rejects ids that cannot exist', () => {
    expect(toFileId('cabc123')).toBe('file-cabc123');
    expect(fromFileId('file-cabc123')).toBe('cabc123');
    expect(fromFileId('cabc123')).toBe('cabc123');
    expect(fromFileId('file-')).toBeNull();
    expect(fromFileId('file-a/b')).toBeNull();
    expect(fromFileId('\u0000')).toBeNull();
  });

  it('maps dataset states to OpenAI file states', () => {
    const base: DatasetSummary = {
      id: 'd1', name: 'n', filename: 'train.jsonl', purpose: 'fine-tune', status: 'UPLOADED', format: null, sizeBytes: 10, sha256: null,
      examples: null, errors: null, warnings: null, progress: null, error: null, createdAt: new Date(1_700_000_000_500), updatedAt: new Date(),
    };
    expect(toOpenAIFile(base)).toEqual({ id: 'file-d1', object: 'file', bytes: 10, created_at: 1_700_000_000, filename: 'train.jsonl', purpose: 'fine-tune', status: 'uploaded', status_details: null });
    expect(toOpenAIFile({ ...base, status: 'VALIDATING' }).status).toBe('uploaded');
    expect(toOpenAIFile({ ...base, status: 'VALID' }).status).toBe('processed');
    expect(toOpenAIFile({ ...base, status: 'INVALID', error: '1 error' })).toMatchObject({ status: 'error', status_details: '1 error' });
  });
});

describe('dataset statistics', () => {
  it('counts examples, characters, trained characters and a length histogram over valid lines only', async () => {
    const lines = [
      { messages: [{ role: 'user', content: 'abcd' }, { role: 'assistant', content: 'efgh' }] },
      { messages: [{ role: 'user', content: 'x'.repeat(300) }, { role: 'assistant', content: 'y', weight: 0 }, { role: 'user', content: 'z' }, { role: 'assistant', content: 'w'.repeat(8) }] },
    ].map((l) => JSON.stringify(l));
    const input = Readable.from([Buffer.from(`${lines[0]}\nnot json\n${lines[1]}\n`)]);
    const stats = await computeDatasetStats({ input });
    expect(stats).toMatchObject({ examples: 2, messages: 6, characters: 8 + 310, trainedCharacters: 4 + 8, maxExampleCharacters: 310, meanExampleCharacters: 159 });
    expect(stats.estimatedTrainedTokens).toBe(1 + 2);
    // 8 characters fall in the bucket that starts at 8, 310 in the one that holds 310.
    expect(stats.histogram.find((b) => b.min === 8)!.count).toBe(1);
    expect(stats.histogram.find((b) => b.min <= 310 && (b.max ?? Infinity) > 310)!.count).toBe(1);
    expect(stats.histogram.reduce((sum, b) => sum + b.count, 0)).toBe(2);
    expect(stats.histogram.at(-1)!.max).toBeNull();
  });
});

describe('storing reports', () => {
  it('replaces the characters PostgreSQL cannot store, in keys and values', () => {
    expect(postgresSafe({ 'a\u0000': ['b\u0000', '\ud800x', '\ud83d\ude00'], n: 1 })).toEqual({ 'a\u2400': ['b\u2400', '\ufffdx', '\ud83d\ude00'], n: 1 });
  });
});

describe('code documentation', () => {
  it('gives every validation code its explanation and fix from docs/datasets.md', async () => {
    const docs = await loadCodeDocs();
    for (const code of Object.keys(VALIDATION_CODES) as (keyof typeof VALIDATION_CODES)[]) {
      expect(docs[code].meaning, code).not.toBe(docs[code].summary);
      expect(docs[code].fix, code).toBeTruthy();
    }
    expect(docs.invalid_json.fix).toMatch(/json\.dumps/);
  });

  it('falls back to the summaries without the documentation file', async () => {
    const docs = await loadCodeDocs('/nonexistent/datasets.md');
    expect(docs.bom).toEqual({ severity: 'error', summary: VALIDATION_CODES.bom.summary, meaning: VALIDATION_CODES.bom.summary, fix: null });
  });
});
