// The committed API reference page is the one the OpenAPI document produces now.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { API_REFERENCE_PATH, renderApiReference } from './generate-api-reference';

describe('content/docs/api-reference.mdx', () => {
  it('is current with the OpenAPI document (regenerate with npx tsx scripts/docs/generate-api-reference.ts)', async () => {
    expect(await readFile(API_REFERENCE_PATH, 'utf8')).toBe(renderApiReference());
  });
});
