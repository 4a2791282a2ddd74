import type { Metadata } from 'next';
import { JobsTable } from '@/components/jobs/jobs-table';

export const metadata: Metadata = { title: 'Fine-tuning jobs' };

export default function JobsPage() {
  return <JobsTable />;
}
