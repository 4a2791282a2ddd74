import { describe, expect, it } from 'vitest';
import { parseTrustedProxies, resolveClientAddress } from './client-address';

describe('client address', () => {
  const proxies = parseTrustedProxies('10.0.0.0/8, 127.0.0.1 ::1');

  it('believes x-forwarded-for only from a trusted proxy', () => {
    expect(resolveClientAddress('198.51.100.7', '203.0.113.9', proxies)).toBe('198.51.100.7');
    expect(resolveClientAddress('127.0.0.1', '203.0.113.9', proxies)).toBe('203.0.113.9');
    expect(resolveClientAddress('::ffff:127.0.0.1', '203.0.113.9', proxies)).toBe('203.0.113.9');
    expect(resolveClientAddress('198.51.100.7', undefined, parseTrustedProxies(undefined))).toBe('198.51.100.7');
    expect(resolveClientAddress('127.0.0.1', '203.0.113.9', parseTrustedProxies(''))).toBe('127.0.0.1');
  });

  it('walks the hops from the right through trusted proxies only, so a client cannot prepend its own', () => {
    // The client wrote "1.1.1.1"; the edge proxy (10.0.0.5) appended the client's real address.
    expect(resolveClientAddress('10.0.0.2', '1.1.1.1, 198.51.100.7, 10.0.0.5', proxies)).toBe('198.51.100.7');
    expect(resolveClientAddress('10.0.0.2', ['1.1.1.1', '198.51.100.7'], proxies)).toBe('198.51.100.7');
    expect(resolveClientAddress('10.0.0.2', '10.0.0.9, 10.0.0.5', proxies)).toBe('10.0.0.9');
    expect(resolveClientAddress('127.0.0.1', '[2001:db8::1]:443', proxies)).toBe('2001:db8::1');
    expect(resolveClientAddress('127.0.0.1', '198.51.100.7:5000', proxies)).toBe('198.51.100.7');
  });

  it('stops at a hop that is not an address, counting the proxy that wrote it', () => {
    expect(resolveClientAddress('127.0.0.1', 'unknown', proxies)).toBe('127.0.0.1');
    expect(resolveClientAddress('127.0.0.1', '198.51.100.7, <script>', proxies)).toBe('127.0.0.1');
    expect(resolveClientAddress(undefined, '198.51.100.7', proxies)).toBe('unknown');
  });

  it('refuses a LATHE_TRUSTED_PROXIES entry it cannot read', () => {
    for (const bad of ['10.0.0.0/33', 'proxy.local', '10.0.0.1/8/1', '::1/129', '10.0.0.0/x']) {
      expect(() => parseTrustedProxies(bad), bad).toThrow(/LATHE_TRUSTED_PROXIES/);
    }
    expect(parseTrustedProxies('2001:db8::/32').list.check('2001:db8::5', 'ipv6')).toBe(true);
  });
});
