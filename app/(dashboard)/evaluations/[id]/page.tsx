import type { Metadata } from 'next';
import { EvalRunView } from '@/components/evals/eval-run-view';

export const metadata: Metadata = { title: 'Evaluation' };

export default async function EvaluationPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <EvalRunView key={id} id={decodeURIComponent(id)} />;
}
