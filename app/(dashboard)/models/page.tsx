import type { Metadata } from 'next';
import { ModelsList } from '@/components/dashboard/models-list';

export const metadata: Metadata = { title: 'Models' };

export default function ModelsPage() {
  return <ModelsList />;
}
