// Strings a translation may leave exactly as the English, and why. The translation check
// (i18n/translation-check.ts) flags every other value that equals its English source.
import type { Locale } from './locales';

/**
 * In every language: product and format names, code-like labels, and the terms developers in
 * each of these languages keep in English in ML tools.
 */
export const SAME_IN_EVERY_LOCALE: readonly string[] = [
  // names and formats
  'Lathe', 'Slurm', 'Hugging Face Hub', 'GGUF', 'SHA-256', 'Alpaca', 'Top P', 'LoRA', 'Blog',
  // code-like values shown as typed
  'auto', 'auto ({value})',
  // terms of the trade kept in English
  'Runner', 'Executor', 'Commit', 'Alias', 'Token', 'Checkpoint', 'Checkpoints', 'Playground', 'Prompt / completion',
  'Training', 'Credits', 'Cookies', 'Loss', 'live', 'Chat', 'Prompt', 'E-mail', 'Privacy', 'No',
];

/** Words that are spelled the same in that language (or that its developers keep), per locale. */
export const SAME_IN_LOCALE: Partial<Record<Locale, readonly string[]>> = {
  de: ['Partition', 'Administration', 'Beta', 'Status', 'GPUs', 'Name', 'Jobs', 'Job', 'Job {name}', 'Admin', 'Format', 'Code', 'Suffix', 'Standard', 'Seed', 'Info', 'Live', 'Details', 'Repository', 'Downloads', 'Limits', 'Navigation', 'Webhooks', '{ms} ms'],
  es: ['Base', 'Beta', 'Tokens (est.)', 'Error', '{speed} tokens/s', '{tokens} tokens', 'Tokens', 'Webhooks', 'Endpoint', '{ms} ms'],
  fr: ['Partition', 'Partitions', 'Administration', 'Actions', 'Date', 'Base', 'Pause', 'Format', 'Messages', 'Code', 'Message', 'Standard', 'Info', 'Architecture', 'Licence', 'Source', 'Assistant', 'Navigation', 'Net', 'Active', 'Description', 'Webhooks', '{ms} ms', 'Notifications', 'Score'],
  ja: ['{ms} ms'],
  it: ['Job', 'Job {name}', 'Preset', 'Standard', 'Seed', 'Learning rate', 'Fine-tuning', 'Password', 'Repository', 'fine-tuning: {model}', 'Endpoint', '{ms} ms', 'Beta', 'Early stopping', 'Dataset'],
  nl: ['Nodes', 'Status', 'Datasets', 'Jobs', 'Job', 'Model', 'Code', 'Context', '{credits} credits', 'credits', 'Epochs', 'Seed', 'Tokens per epoch', 'Hyperparameters', 'Learning rate', 'Info', 'epoch {epoch}', '{speed} tokens/s', 'Metrics', 'Live', 'Parameters', 'Details', '{tokens} tokens', 'Repository', '{count, plural, one {# download} other {# downloads}}', 'Downloads', 'Project', 'Tokens', 'Webhooks', 'Endpoint', 'Events', 'Event', '{ms} ms', 'Beta', 'Early stopping', 'Dataset', 'Epoch {epoch}', 'Score'],
  pl: ['Model', 'Format', 'Endpoint', '{ms} ms', 'Beta'],
  pt: ['Status', 'GPUs', 'Jobs', 'Job', 'Job {name}', 'Base', 'Tokens (est.)', '{speed} tokens/s', '{tokens} tokens', '{count, plural, one {# download} other {# downloads}}', 'Downloads', 'Tokens', 'Webhooks', 'Endpoint', '{ms} ms', 'Beta'],
};

/** Whether `value`, equal to its English source, may stay so in `locale`. */
export function mayStayEnglish(locale: Locale, value: string): boolean {
  // Nothing to translate once placeholders, numbers and symbols are gone ({name}, {percent}%).
  if (!/[A-Za-z]{2,}/.test(value.replace(/\{[^{}]*\}/g, ''))) return true;
  return SAME_IN_EVERY_LOCALE.includes(value) || (SAME_IN_LOCALE[locale] ?? []).includes(value);
}
