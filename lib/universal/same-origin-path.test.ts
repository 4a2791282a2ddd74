import { describe, expect, it } from 'vitest';
import { sameOriginPath } from './same-origin-path';

describe('sameOriginPath', () => {
  it('keeps paths on the origin with their query and fragment', () => {
    expect(sameOriginPath('/datasets')).toBe('/datasets');
    expect(sameOriginPath('/invite/abc?x=1#top')).toBe('/invite/abc?x=1#top');
    expect(sameOriginPath('/a?next=//elsewhere')).toBe('/a?next=//elsewhere');
    expect(sameOriginPath('/%5Cevil.com')).toBe('/%5Cevil.com');
    expect(sameOriginPath('http://localhost:3000/jobs/1', 'http://localhost:3000')).toBe('/jobs/1');
  });

  it('refuses every spelling that a browser reads as another host', () => {
    const origin = 'http://localhost:3000';
    for (const target of [
      '/\\evil.com',
      '\\/evil.com',
      '//evil.com',
      '/\t/evil.com',
      '/\n/evil.com',
      '/ /evil.com'.replace(' ', '\r'),
      '/foo/../..//evil.com',
      '/.//evil.com',
      'https://evil.com/',
      'https:evil.com',
      'evil.com',
      'javascript:alert(1)',
      'http://localhost:3000@evil.com/',
      'http://localhost:3000.evil.com/',
      'http://localhost:3000/\\evil.com',
      'http://user:pass@localhost:3000/x',
      'http://localhost:3001/x',
      '',
    ]) {
      expect(sameOriginPath(target, origin), JSON.stringify(target)).toBeNull();
    }
    expect(sameOriginPath(null)).toBeNull();
    expect(sameOriginPath(undefined)).toBeNull();
  });
});
