import { getTranslations } from 'next-intl/server';
import type { Locale } from '@/i18n/locales';

type Value = 'yes' | 'no' | 'openaiModels' | 'trainingUi' | 'lora' | 'openaiMethods' | 'togetherMethods' | 'factoryMethods' | 'latheCost' | 'perToken' | 'free';
type Row = { key: 'ownHardware' | 'openWeights' | 'download' | 'api' | 'accounts' | 'method' | 'cost'; lathe: Value; openai: Value; together: Value; factory: Value };

// What each product documents it can do (December 2026). Product names are not translated.
const ROWS: Row[] = [
  { key: 'ownHardware', lathe: 'yes', openai: 'no', together: 'no', factory: 'yes' },
  { key: 'openWeights', lathe: 'yes', openai: 'openaiModels', together: 'yes', factory: 'yes' },
  { key: 'download', lathe: 'yes', openai: 'no', together: 'yes', factory: 'yes' },
  { key: 'api', lathe: 'yes', openai: 'yes', together: 'yes', factory: 'yes' },
  { key: 'accounts', lathe: 'yes', openai: 'yes', together: 'yes', factory: 'trainingUi' },
  { key: 'method', lathe: 'lora', openai: 'openaiMethods', together: 'togetherMethods', factory: 'factoryMethods' },
  { key: 'cost', lathe: 'latheCost', openai: 'perToken', together: 'perToken', factory: 'free' },
];
const COLUMNS = [
  { key: 'lathe', name: 'Lathe' },
  { key: 'openai', name: 'OpenAI fine-tuning' },
  { key: 'together', name: 'Together' },
  { key: 'factory', name: 'LLaMA-Factory' },
] as const;

export async function ComparisonTable({ locale }: { locale: Locale }) {
  const t = await getTranslations({ locale, namespace: 'home.compare' });
  return (
    <div className="overflow-x-auto rounded-lg border" tabIndex={0} role="region" aria-label={t('caption')}>
      <table className="w-full min-w-[640px] text-left text-sm">
        <caption className="sr-only">{t('caption')}</caption>
        <thead className="bg-muted/60">
          <tr>
            <th scope="col" className="p-3 font-medium">
              {t('capability')}
            </th>
            {COLUMNS.map((c) => (
              <th key={c.key} scope="col" className={`p-3 font-medium ${c.key === 'lathe' ? 'text-primary' : ''}`}>
                {c.name}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {ROWS.map((row) => (
            <tr key={row.key} className="border-t">
              <th scope="row" className="p-3 font-medium">
                {t(`rows.${row.key}`)}
              </th>
              {COLUMNS.map((c) => (
                <td key={c.key} className={`p-3 ${row[c.key] === 'no' ? 'text-muted-foreground' : ''}`}>
                  {t(`values.${row[c.key]}`)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
