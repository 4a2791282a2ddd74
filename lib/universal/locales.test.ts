import { describe, expect, it } from 'vitest';
import { isLocale, localeFromAcceptLanguage, localizedPath } from './locales';

describe('locales', () => {
  it('picks the best supported language of an Accept-Language header', () => {
    expect(localeFromAcceptLanguage('de-DE,de;q=0.9,en;q=0.8')).toBe('de');
    expect(localeFromAcceptLanguage('zh-CN,zh;q=0.9,pt-BR;q=0.8,en;q=0.5')).toBe('pt');
    expect(localeFromAcceptLanguage('en;q=0.2, ja;q=0.9')).toBe('ja');
    expect(localeFromAcceptLanguage('fr;q=0, it')).toBe('it');
    expect(localeFromAcceptLanguage('zh, ko')).toBeNull();
    expect(localeFromAcceptLanguage('')).toBeNull();
    expect(localeFromAcceptLanguage('*')).toBeNull();
    expect(localeFromAcceptLanguage(';;,q=,x-')).toBeNull();
  });

  it('prefixes every language but English', () => {
    expect(localizedPath('en', '/')).toBe('/');
    expect(localizedPath('en', '/pricing')).toBe('/pricing');
    expect(localizedPath('ja', '/')).toBe('/ja');
    expect(localizedPath('pl', '/blog/launch')).toBe('/pl/blog/launch');
    expect(isLocale('de')).toBe(true);
    expect(isLocale('DE')).toBe(false);
    expect(isLocale(undefined)).toBe(false);
  });
});
