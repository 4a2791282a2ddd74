import type { Metadata } from 'next';
import { DatasetsTable } from '@/components/datasets/datasets-table';
import { FirstRunChecklist } from '@/components/dashboard/first-run-checklist';

export const metadata: Metadata = { title: 'Datasets' };

export default function DatasetsPage() {
  return <DatasetsTable intro={<FirstRunChecklist />} />;
}
