import { describe, expect, it } from 'vitest';
import { assertStorablePath, assertStorableText } from '@/server/api/storable-text';

describe('input the database cannot store', () => {
  it('is refused with a 400 that names the parameter', () => {
    expect(() => assertStorableText({ after: 'x\u0000' })).toThrow(expect.objectContaining({ code: 'BAD_REQUEST', details: { param: 'after', reason: 'invalid_request' } }));
  });

  it('names the place when the whole value is the problem', () => {
    expect(() => assertStorableText('\ud800', 'The query string')).toThrow(/^The query string holds a NUL character or an unpaired UTF-16 surrogate/);
  });

  it('finds nothing by an id in the path that no row can have', () => {
    expect(() => assertStorablePath({ file: 'file-\u0000' })).toThrow(expect.objectContaining({ code: 'NOT_FOUND', details: { param: 'file', reason: 'not_found' } }));
  });
});
