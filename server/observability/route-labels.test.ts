import { describe, expect, it } from 'vitest';
import { createRouteLabeler, methodLabel, UNMATCHED_ROUTE } from './route-labels';

describe('route labels', () => {
  const label = createRouteLabeler(['/', '/datasets', '/datasets/[id]', '/v1/[...path]', '/v1/files/[file]', '/v1/files/[file]/content', '/v1/models', '/api/uploads/[[...id]]', '/api/health']);

  it('labels a URL with the app route it reaches, static before dynamic before catch-all', () => {
    expect(label('/')).toBe('/');
    expect(label('/datasets?page=2')).toBe('/datasets');
    expect(label('/datasets/ds_123/')).toBe('/datasets/[id]');
    expect(label('/v1/models')).toBe('/v1/models');
    expect(label('/v1/files/file-1')).toBe('/v1/files/[file]');
    expect(label('/v1/files/file-1/content')).toBe('/v1/files/[file]/content');
    expect(label('/v1/anything/at/all')).toBe('/v1/[...path]');
    expect(label('/api/uploads')).toBe('/api/uploads/[[...id]]');
    expect(label('/api/uploads/abc')).toBe('/api/uploads/[[...id]]');
    expect(label('/_next/static/chunks/x.js')).toBe('/_next');
  });

  it('gives every path no route takes one label', () => {
    for (const url of ['/v1', '/api/invented', '/invented/page', '/datasets/a/b', `/${'x'.repeat(5000)}`]) expect(label(url), url).toBe(UNMATCHED_ROUTE);
  });

  it('keeps methods to the usual ones', () => {
    expect(methodLabel('PATCH')).toBe('PATCH');
    expect(methodLabel('PROPFIND')).toBe('other');
    expect(methodLabel(undefined)).toBe('other');
  });
});
