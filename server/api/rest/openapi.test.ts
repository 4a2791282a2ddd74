// The /v1 OpenAPI document is valid OpenAPI 3.1 and describes every /v1 route file.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { validate } from '@readme/openapi-parser';
import { openApiDocument } from '@/server/api/rest/openapi';

async function routeFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nested = await Promise.all(entries.map((e) => (e.isDirectory() ? routeFiles(path.join(dir, e.name)) : Promise.resolve(e.name === 'route.ts' ? [path.join(dir, e.name)] : []))));
  return nested.flat();
}

describe('the OpenAPI document', () => {
  it('validates as OpenAPI 3.1', async () => {
    const doc = openApiDocument();
    expect(doc.openapi).toBe('3.1.0');
    const result = await validate(structuredClone(doc) as never);
    expect(result.valid, JSON.stringify(result)).toBe(true);
  });

  it('has a path for every /v1 route file', async () => {
    const paths = Object.keys(openApiDocument().paths ?? {});
    const routes = (await routeFiles('app/v1'))
      .map((file) => `/${path.dirname(file)}`.replace('/app', '').replace(/\[(\w+)\]/g, '{$1}'))
      .filter((route) => !route.includes('[...') && route !== '/v1/openapi.json');
    expect(routes.filter((route) => !paths.includes(route))).toEqual([]);
  });
});
