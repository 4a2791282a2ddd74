import type { Metadata } from 'next';
import { JobsCompareView } from '@/components/jobs/jobs-compare-view';
import { MAX_COMPARED } from '@/components/jobs/job-metrics';

export const metadata: Metadata = { title: 'Compare fine-tuning jobs' };

export default async function CompareJobsPage({ searchParams }: { searchParams: Promise<{ ids?: string | string[] }> }) {
  const { ids } = await searchParams;
  const list = (Array.isArray(ids) ? ids.join(',') : (ids ?? ''))
    .split(',')
    .map((id) => id.trim())
    .filter(Boolean);
  return <JobsCompareView ids={[...new Set(list)].slice(0, MAX_COMPARED)} />;
}
