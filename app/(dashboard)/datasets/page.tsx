import type { Metadata } from 'next';
import { DatasetsTable } from '@/components/datasets/datasets-table';

export const metadata: Metadata = { title: 'Datasets' };

export default function DatasetsPage() {
  return <DatasetsTable />;
}
