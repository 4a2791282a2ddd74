import type { Metadata } from 'next';
import { Database } from 'lucide-react';
import { SectionEmptyPage } from '@/components/dashboard/section-empty-page';

export const metadata: Metadata = { title: 'Datasets' };

export default function DatasetsPage() {
  return <SectionEmptyPage section="datasets" icon={<Database />} />;
}
