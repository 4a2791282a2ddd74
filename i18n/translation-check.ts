// The translation check behind i18n/translations.test.ts: every key of every English namespace
// exists in every locale, is translated (not left equal to the English), keeps the English
// placeholders, and is used by the code. Reports each problem by locale, namespace and key.
import fs from 'node:fs';
import path from 'node:path';
import { parse, TYPE, type MessageFormatElement } from '@formatjs/icu-messageformat-parser';
import { locales } from './locales';
import { mayStayEnglish } from './same-as-english';

type Tree = { [key: string]: string | Tree };

const SOURCE_DIRS = ['app', 'components', 'lib', 'server', 'i18n'];

export function flatten(tree: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(tree)) {
    const full = prefix ? `${prefix}.${key}` : key;
    if (typeof value === 'string') out.set(full, value);
    else for (const [k, v] of flatten(value, full)) out.set(k, v);
  }
  return out;
}

/**
 * ICU argument names of a message ({name}, {count, plural, ...}), read with the ICU parser so the
 * text of plural and select branches (`=0 {Compare}`) is never taken for an argument.
 */
export function placeholders(message: string): string[] {
  const names = new Set<string>();
  const walk = (elements: MessageFormatElement[]) => {
    for (const el of elements) {
      if (el.type === TYPE.literal || el.type === TYPE.pound) continue;
      if (el.type === TYPE.tag) {
        names.add(`<${el.value}>`);
        walk(el.children);
        continue;
      }
      names.add(el.value);
      if (el.type === TYPE.plural || el.type === TYPE.select) for (const option of Object.values(el.options)) walk(option.value);
    }
  };
  try {
    walk(parse(message, { ignoreTag: false }));
  } catch {
    names.add('<unparsable message>');
  }
  return [...names].sort();
}

function readNamespaces(root: string, locale: string): Map<string, Tree> {
  const dir = path.join(root, 'messages', locale);
  const out = new Map<string, Tree>();
  if (!fs.existsSync(dir)) return out;
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    out.set(file.replace(/\.json$/, ''), JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as Tree);
  }
  return out;
}

function sourceFiles(root: string): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && entry.name !== 'generated') walk(full);
      } else if (/\.(ts|tsx)$/.test(entry.name) && !/\.(test|spec)\.tsx?$/.test(entry.name)) files.push(full);
    }
  };
  for (const dir of SOURCE_DIRS) if (fs.existsSync(path.join(root, dir))) walk(path.join(root, dir));
  return files;
}

/**
 * What the code can ask for: the namespaces passed to useTranslations/getTranslations (or as
 * `namespace:`), and every word that appears inside a string or template literal. A key counts as
 * used when a namespace the code opens is a prefix of it and each remaining segment appears as such
 * a word, which also covers keys built from lists (t(`steps.${step}.title`)).
 */
export function codeUsage(root: string): { namespaces: Set<string>; words: Set<string>; suffixes: Set<string> } {
  const namespaces = new Set<string>();
  const words = new Set<string>();
  const suffixes = new Set<string>();
  for (const file of sourceFiles(root)) {
    const text = fs.readFileSync(file, 'utf8');
    // A namespace may end in template parts (`dashboard.sections.${section}`): its static prefix counts.
    for (const m of text.matchAll(/(?:useTranslations|getTranslations)\(\s*['"`]([\w.]+?)\.?(?:\$\{[^}]*\}[\w.]*)*['"`]/g)) namespaces.add(m[1]!);
    for (const m of text.matchAll(/namespace:\s*[`'"]([\w.]+?)\.?(?:\$\{[^}]*\}[\w.]*)*[`'"]/g)) namespaces.add(m[1]!);
    for (const m of text.matchAll(/'([^'\n\\]*(?:\\.[^'\n\\]*)*)'|"([^"\n\\]*(?:\\.[^"\n\\]*)*)"|`([^`]*)`/g)) {
      const literal = m[1] ?? m[2] ?? m[3] ?? '';
      for (const w of literal.split(/[^A-Za-z0-9_]+/)) if (w) words.add(w);
      // `${name}Hint`: a key segment may be any word followed by this suffix.
      for (const s of literal.matchAll(/\}(\w+)/g)) suffixes.add(s[1]!);
    }
    // Keys of object literals (STATUS_TONES = { downloading: ... }) name message keys too.
    for (const m of text.matchAll(/^\s*['"]?([A-Za-z_][\w-]*)['"]?\s*:/gm)) for (const w of m[1]!.split('-')) words.add(w);
  }
  // Enum values of the schema reach the code from the database (t(`kinds.${entry.kind}`)).
  const schema = path.join(root, 'prisma', 'schema.prisma');
  if (fs.existsSync(schema)) {
    for (const block of fs.readFileSync(schema, 'utf8').matchAll(/enum\s+\w+\s*\{([^}]*)\}/g)) {
      for (const value of block[1]!.match(/^\s*([A-Z][A-Z0-9_]*)\b/gm) ?? []) {
        words.add(value.trim());
        words.add(value.trim().toLowerCase());
      }
    }
  }
  return { namespaces, words, suffixes };
}

export type TranslationProblem = { kind: 'missing' | 'extra' | 'untranslated' | 'placeholders' | 'unused' | 'missing-namespace'; locale: string; key: string; detail?: string };

export function checkTranslations(root: string, pending: readonly string[]): TranslationProblem[] {
  const problems: TranslationProblem[] = [];
  const english = readNamespaces(root, 'en');
  const usage = codeUsage(root);

  for (const locale of locales.filter((l) => l !== 'en')) {
    const own = readNamespaces(root, locale);
    for (const [namespace, tree] of english) {
      if (pending.includes(namespace)) continue;
      const translated = own.get(namespace);
      if (!translated) {
        problems.push({ kind: 'missing-namespace', locale, key: namespace, detail: `messages/${locale}/${namespace}.json does not exist` });
        continue;
      }
      const en = flatten(tree, namespace);
      const theirs = flatten(translated, namespace);
      for (const [key, value] of en) {
        const their = theirs.get(key);
        if (their === undefined) problems.push({ kind: 'missing', locale, key });
        else if (their === value && !mayStayEnglish(locale, value)) problems.push({ kind: 'untranslated', locale, key, detail: JSON.stringify(value) });
        else if (placeholders(their).join() !== placeholders(value).join()) problems.push({ kind: 'placeholders', locale, key, detail: `en {${placeholders(value).join(', ')}} vs {${placeholders(their).join(', ')}}` });
      }
      for (const key of theirs.keys()) if (!en.has(key)) problems.push({ kind: 'extra', locale, key });
    }
  }

  for (const [namespace, tree] of english) {
    for (const key of flatten(tree, namespace).keys()) {
      const segmentUsed = (segment: string) =>
        segment.split(/[^A-Za-z0-9_]+/).every((w) => usage.words.has(w)) || [...usage.suffixes].some((s) => segment.endsWith(s) && usage.words.has(segment.slice(0, -s.length)));
      const used = [...usage.namespaces].some((ns) => key.startsWith(`${ns}.`) && key.slice(ns.length + 1).split('.').every(segmentUsed));
      if (!used) problems.push({ kind: 'unused', locale: 'en', key });
    }
  }
  return problems;
}

export function formatProblems(problems: TranslationProblem[]): string {
  return problems.map((p) => `${p.kind.padEnd(17)} ${p.locale}  ${p.key}${p.detail ? `  ${p.detail}` : ''}`).join('\n');
}
