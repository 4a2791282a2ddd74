import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PENDING_TRANSLATION_NAMESPACES } from './pending-translations';
import { checkTranslations, formatProblems, placeholders } from './translation-check';

const root = path.resolve(import.meta.dirname, '..');

describe('translations', () => {
  it('every key exists in every locale, is translated, keeps its placeholders and is used by the code', () => {
    const problems = checkTranslations(root, PENDING_TRANSLATION_NAMESPACES);
    expect(problems, `\n${formatProblems(problems)}\n`).toEqual([]);
  });

  it('reads ICU placeholders, including plural and select arguments', () => {
    expect(placeholders('{count, plural, one {# job} other {# jobs}} by {name}')).toEqual(['count', 'name']);
    expect(placeholders('no arguments')).toEqual([]);
    expect(placeholders('{count, plural, =0 {Compare} one {Compare # run} other {Compare # runs}}')).toEqual(['count']);
    expect(placeholders('Read <link>the guide</link> for {topic}')).toEqual(['<link>', 'topic']);
  });
});

describe('the check itself', () => {
  it('reports missing, untranslated, placeholder-changing, extra and unused keys by name', async () => {
    const fs = await import('node:fs');
    const os = await import('node:os');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lathe-i18n-'));
    try {
      const write = (file: string, content: unknown) => {
        fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        fs.writeFileSync(path.join(dir, file), typeof content === 'string' ? content : JSON.stringify(content));
      };
      write('messages/en/shop.json', { title: 'Shop', greeting: 'Hello {name}', orphan: 'Never shown', steps: { one: 'First', two: 'Second' } });
      write('components/shop.tsx', "const t = useTranslations('shop'); const STEPS = ['one', 'two']; t('title'); t('greeting'); STEPS.map((s) => t(`steps.${s}`));");
      const translated = { title: 'Laden', greeting: 'Hallo {name}', orphan: 'Nie gezeigt', steps: { one: 'Erster', two: 'Zweiter' } };
      for (const locale of ['de', 'es', 'fr', 'it', 'ja', 'nl', 'pl', 'pt']) write(`messages/${locale}/shop.json`, translated);
      write('messages/de/shop.json', { title: 'Shop', greeting: 'Hallo {nom}', steps: { one: 'Erster', two: 'Zweiter' }, stray: 'x' });
      const problems = checkTranslations(dir, []).map((p) => `${p.kind} ${p.locale} ${p.key}`);
      expect(problems.sort()).toEqual(['extra de shop.stray', 'missing de shop.orphan', 'placeholders de shop.greeting', 'unused en shop.orphan', 'untranslated de shop.title'].sort());
      expect(checkTranslations(dir, ['shop']).map((p) => p.kind)).toEqual(['unused']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
