import type { Metadata } from 'next';
import { DatasetDetail } from '@/components/datasets/dataset-detail';
import { loadCodeDocs } from '@/server/services/datasets/platform/code-docs';

export const metadata: Metadata = { title: 'Dataset' };

export default async function DatasetPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  // The explanation and fix of every finding code, from the same docs/datasets.md users read.
  const docs = await loadCodeDocs();
  return <DatasetDetail id={id} docs={docs} />;
}
