import { describe, expect, it } from 'vitest';
import { findUnstorableText } from './storable-text';

describe('text PostgreSQL cannot store', () => {
  it('finds a NUL or an unpaired surrogate, in values and keys, by its path', () => {
    expect(findUnstorableText({ name: 'a\u0000b' })).toBe('name');
    expect(findUnstorableText({ messages: [{ content: 'ok' }, { content: 'x\ud800' }] })).toBe('messages.1.content');
    expect(findUnstorableText({ meta: { ['k\udfff']: 'v' } })).toBe('meta.k\udfff');
    expect(findUnstorableText('\u0000')).toBe('');
  });

  it('lets paired surrogates (emoji) and ordinary control characters through', () => {
    expect(findUnstorableText({ name: '🦙 tab\tnewline\n', n: 1, nothing: null })).toBeNull();
  });

  it('walks input nested deeper than the call stack reaches', () => {
    let deep: unknown = 'end\u0000';
    for (let i = 0; i < 50_000; i++) deep = [deep];
    expect(findUnstorableText(deep)).toBe(`${'0.'.repeat(49_999)}0`);
  });
});
