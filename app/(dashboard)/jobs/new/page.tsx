import type { Metadata } from 'next';
import { NewJobForm } from '@/components/jobs/new-job-form';

export const metadata: Metadata = { title: 'New fine-tuning job' };

const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/** `?model=` and `?training_file=` preselect the form, so the models and datasets pages can link here. */
export default async function NewJobPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = await searchParams;
  return <NewJobForm prefill={{ model: first(params.model), trainingFile: first(params.training_file) }} />;
}
