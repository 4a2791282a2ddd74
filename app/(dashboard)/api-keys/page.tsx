import type { Metadata } from 'next';
import { ApiKeysTable } from '@/components/api-keys/api-keys-table';

export const metadata: Metadata = { title: 'API keys' };

export default function ApiKeysPage() {
  return <ApiKeysTable />;
}
