import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { createTokenCounter } from './chat-tokenizer';
import { DuplicateIndex } from './duplicate-index';
import type { ValidationReport } from '@/lib/universal/dataset-report';
import { validateDataset } from './validate-dataset';
import { VALIDATION_CODES, type ValidationCode } from '@/lib/universal/dataset-report';

const FIXTURES = path.resolve(import.meta.dirname, '../../../tests/fixtures/datasets');
const expected: Record<string, { file: string; kind: 'bad' | 'warn'; line: number | null; field: string | null; options?: Record<string, number | string> }> = JSON.parse(
  readFileSync(path.join(FIXTURES, 'expected.json'), 'utf8'),
);
const scratch = mkdtempSync(path.join(tmpdir(), 'lathe-validate-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function codesOf(report: ValidationReport): string[] {
  return Object.keys(report.byCode).sort();
}

describe('the corpus: one file per finding code', () => {
  it('has a file for every code that a file can show', () => {
    // duplicate_check_limited needs millions of lines; it is covered by the DuplicateIndex test below.
    const covered = new Set([...Object.keys(expected), 'duplicate_check_limited']);
    expect([...covered].sort()).toEqual(Object.keys(VALIDATION_CODES).sort());
  });

  it.each(Object.entries(expected))('%s is reported at its line and field, and nothing else is', async (code, testCase) => {
    const { modelDir, ...options } = testCase.options ?? {};
    const tokenCounter = modelDir ? await createTokenCounter({ modelDir: path.join(FIXTURES, String(modelDir)) }) : undefined;
    const report = await validateDataset({ input: path.join(FIXTURES, testCase.file), ...options, tokenCounter });
    await tokenCounter?.close();
    const summary = report.byCode[code as ValidationCode];
    expect(summary, JSON.stringify(report.byCode)).toBeDefined();
    expect(summary!.count).toBe(1);
    expect(summary!.severity).toBe(VALIDATION_CODES[code as ValidationCode].severity);
    const [found] = summary!.samples;
    expect(found).toMatchObject({ line: testCase.line, field: testCase.field, code, severity: summary!.severity });
    expect(found!.message.length).toBeGreaterThan(10);
    expect(codesOf(report)).toEqual([code]);
    expect(report.ok).toBe(testCase.kind === 'warn');
  });
});

describe('good files', () => {
  it.each([
    ['chat.jsonl', 'chat'],
    ['prompt-completion.jsonl', 'prompt_completion'],
    ['alpaca.jsonl', 'alpaca'],
    ['preference.jsonl', 'preference'],
  ])('%s validates clean as %s', async (file, format) => {
    const report = await validateDataset({ input: path.join(FIXTURES, 'good', file) });
    expect(report).toMatchObject({ ok: true, format, errors: 0, warnings: 0, byCode: {}, examples: 12, validExamples: 12 });
  });

  it('evals.jsonl validates clean as an eval set, and not as training data (no assistant replies)', async () => {
    const input = path.join(FIXTURES, 'good', 'evals.jsonl');
    expect(await validateDataset({ input, purpose: 'evals' })).toMatchObject({ ok: true, format: 'chat', errors: 0, warnings: 0, examples: 12, validExamples: 12 });
    const asTraining = await validateDataset({ input });
    expect(asTraining.ok).toBe(false);
    expect(Object.keys(asTraining.byCode).sort()).toEqual(['no_assistant_message', 'unrecognized_key']);
  });

  it('needs one example for an eval set, and says so in its own words', async () => {
    const report = await validateDataset({ input: Readable.from([Buffer.from('\n')]), purpose: 'evals' });
    expect(report.byCode.too_few_examples!.samples[0]!.message).toBe('The file has 0 examples; an eval set needs at least 1.');
  });

  it('accepts CRLF line ends, a final line without newline, and a stream input', async () => {
    const text = readFileSync(path.join(FIXTURES, 'good', 'chat.jsonl'), 'utf8').trimEnd().replaceAll('\n', '\r\n');
    const report = await validateDataset({ input: Readable.from([Buffer.from(text)]) });
    expect(report).toMatchObject({ ok: true, examples: 12, warnings: 0 });
  });

  it('finds a byte-order mark where two files were joined', async () => {
    const good = readFileSync(path.join(FIXTURES, 'good', 'alpaca.jsonl'));
    const report = await validateDataset({ input: Readable.from([good, Buffer.from([0xef, 0xbb, 0xbf]), good]) });
    expect(report.byCode.bom!.samples).toMatchObject([{ line: 13, message: expect.stringContaining('joined') }]);
    expect(report.byCode.duplicate_example!.count).toBe(11);
    expect(report.validExamples).toBe(23);
  });

  it('reads web streams (Uint8Array chunks) and text streams (strings) alike', async () => {
    const bytes = readFileSync(path.join(FIXTURES, 'good', 'chat.jsonl'));
    const web = new Blob([bytes]).stream();
    const fromWeb = await validateDataset({ input: Readable.fromWeb(web as Parameters<typeof Readable.fromWeb>[0]) });
    const fromText = await validateDataset({ input: Readable.from([bytes.toString('utf8').slice(0, 1000), bytes.toString('utf8').slice(1000)]) });
    expect(fromWeb).toMatchObject({ ok: true, examples: 12 });
    expect(fromText).toMatchObject({ ok: true, examples: 12 });
  });

  it('reports progress up to the whole file', async () => {
    const seen: number[] = [];
    const file = path.join(FIXTURES, 'good', 'alpaca.jsonl');
    await validateDataset({ input: file, onProgress: (p) => seen.push(p.bytesRead / (p.totalBytes ?? 1)) });
    expect(seen.at(-1)).toBe(1);
  });
});

describe('counts and samples', () => {
  it('counts every finding but keeps the first 20 of a code', async () => {
    const lines = Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? '{"messages": "x"}' : `not json ${i}`));
    const report = await validateDataset({ input: Readable.from([Buffer.from(lines.join('\n'))]) });
    expect(report.byCode.messages_not_list!.count).toBe(25);
    expect(report.byCode.invalid_json!.count).toBe(25);
    expect(report.byCode.invalid_json!.samples).toHaveLength(20);
    expect(report.byCode.invalid_json!.samples.map((f) => f.line)).toEqual(Array.from({ length: 20 }, (_, i) => 2 * i + 2));
    expect(report.errors).toBe(50);
  });

  it('uses an exact token counter for too_long when given one', async () => {
    const report = await validateDataset({
      input: path.join(FIXTURES, 'good', 'chat.jsonl'),
      contextLength: 10,
      tokenCounter: (conversation) => conversation.messages.length * 4,
    });
    // Conversations of 3+ messages count 12+ tokens; the 2-message ones (8) fit.
    expect(report.byCode.too_long!.count).toBe(9);
    expect(report.byCode.too_long!.samples[0]!.message).toContain('12 tokens');
    expect(report.ok).toBe(true);
  });
});

describe('hostile input never crashes the validator', () => {
  const validateBytes = (bytes: Buffer | Buffer[], options = {}) =>
    validateDataset({ input: Readable.from(Array.isArray(bytes) ? bytes : [bytes]), ...options });

  it('random bytes', async () => {
    for (let seed = 0; seed < 20; seed++) {
      const report = await validateBytes(randomBytes(64 * 1024));
      expect(report.ok).toBe(false);
      expect(report.errors).toBeGreaterThan(0);
    }
  });

  it('NUL bytes inside and outside strings', async () => {
    const lines = [
      Buffer.from('{"messages": [{"role": "user", "content": "a\u0000b"}]}'),
      Buffer.from('\u0000\u0000\u0000'),
      Buffer.from('{"prompt": "\\u0000", "completion": "x"}'),
    ];
    const report = await validateBytes(Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')])));
    expect(report.byCode.invalid_json!.count).toBe(2);
    expect(report.lines).toBe(3);
  });

  it('every truncation of a good file', async () => {
    const good = readFileSync(path.join(FIXTURES, 'good', 'chat.jsonl'));
    for (let cut = 1; cut < good.length; cut += 97) {
      const report = await validateBytes(good.subarray(0, cut));
      expect(report.lines).toBeGreaterThan(0);
    }
  });

  it('deep nesting: a million levels in one line, an unterminated 200,000 in another', async () => {
    const deep = Buffer.from(`${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}\n{"messages": ${'['.repeat(200_000)}\n`);
    const report = await validateBytes(deep);
    expect(codesOf(report)).toEqual(['invalid_json', 'not_an_object', 'too_few_examples']);
  });

  it('a 50 MB string: over the line limit by default, read in full under a larger one', async () => {
    const content = 'x'.repeat(50 * 1024 * 1024);
    const line = Buffer.from(`{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "${content}"}]}\n`);
    const chunks = [line.subarray(0, 7_000_000), line.subarray(7_000_000, 30_000_001), line.subarray(30_000_001)];
    const limited = await validateBytes(chunks);
    expect(limited.byCode.line_too_long!.samples[0]!.line).toBe(1);
    const read = await validateBytes(chunks, { maxLineBytes: 64 * 1024 * 1024, contextLength: 4096 });
    expect(codesOf(read)).toEqual(['too_few_examples', 'too_long']);
  });

  it('invalid UTF-8 of every kind, named by column', async () => {
    const bad = [[0xff], [0xc0, 0xaf], [0xe0, 0x80, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82]];
    for (const bytes of bad) {
      const report = await validateBytes(Buffer.concat([Buffer.from('{"prompt": "ab'), Buffer.from(bytes), Buffer.from('", "completion": "c"}')]));
      expect(report.byCode.invalid_utf8!.samples[0]!.message).toContain('column 15');
    }
  });

  it('rejects only on I/O: a missing file', async () => {
    await expect(validateDataset({ input: path.join(scratch, 'missing.jsonl') })).rejects.toThrow(/ENOENT/);
  });
});

describe('duplicates', () => {
  it('finds a duplicate far apart and names the first line', async () => {
    const file = path.join(scratch, 'dups.jsonl');
    const lines = Array.from({ length: 5000 }, (_, i) => JSON.stringify({ prompt: `q${i}`, completion: `a${i}` }));
    lines.push(lines[3]!);
    writeFileSync(file, `${lines.join('\n')}\n`);
    const report = await validateDataset({ input: file });
    expect(report.byCode.duplicate_example!.samples[0]).toMatchObject({ line: 5001, message: 'The line is identical to line 4.' });
  });

  it('the index keeps to its ceiling and says when it is full', () => {
    const index = new DuplicateIndex(1 << 10, 1 << 4);
    const encoder = new TextEncoder();
    for (let i = 1; i <= 2000; i++) expect(index.seen(encoder.encode(`line ${i}`), i)).toBe(0);
    expect(index.saturated).toBe(true);
    expect(index.seen(encoder.encode('line 5'), 3000)).toBe(5);
  });
});

describe('memory', () => {
  // About 15 s on an idle two-core machine; the long timeout is for a machine busy with other suites.
  it('validates a 1 GB stream in bounded memory', async () => {
    const child = path.join(FIXTURES, 'validate-stream-child.ts');
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', child, String(1024 ** 3)], {
      cwd: path.resolve(FIXTURES, '../../..'),
      maxBuffer: 1 << 20,
    });
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(result).toMatchObject({ ok: true, errors: 0, warnings: 0 });
    expect(result.bytes).toBeGreaterThanOrEqual(1024 ** 3);
    expect(result.maxRssMb).toBeLessThan(300);
  }, 600_000);
});

it('the corpus folders hold exactly the listed files', () => {
  for (const kind of ['bad', 'warn']) {
    const listed = Object.values(expected).filter((c) => c.kind === kind).map((c) => path.basename(c.file)).sort();
    expect(readdirSync(path.join(FIXTURES, kind)).sort()).toEqual(listed);
  }
});

it('docs/datasets.md documents every code with its severity', () => {
  const docs = readFileSync(path.resolve(FIXTURES, '../../../docs/datasets.md'), 'utf8');
  const documented = Object.fromEntries([...docs.matchAll(/^#### `([a-z0-9_]+)` \((error|warning)\)$/gm)].map((m) => [m[1], m[2]]));
  const expectedSeverities = Object.fromEntries(Object.entries(VALIDATION_CODES).map(([code, info]) => [code, info.severity]));
  expect(documented).toEqual(expectedSeverities);
});

it('keeps the findings of one hostile line bounded', async () => {
  const messages = Array.from({ length: 200_000 }, () => ({ content: 'x' }));
  const keys = Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`key${i}`.padEnd(500, 'k'), 1]));
  const lines = [JSON.stringify({ messages }), JSON.stringify({ messages: [{ role: 'user', content: 'q', ...keys }, { role: 'assistant', content: 'a' }] })];
  const report = await validateDataset({ input: Readable.from([Buffer.from(lines.join('\n'))]) });
  expect(report.byCode.missing_role!.count).toBe(1000);
  expect(report.byCode.unrecognized_message_key!.count).toBe(1000);
  expect(report.byCode.unrecognized_message_key!.samples[0]!.field!.length).toBeLessThan(80);
});
