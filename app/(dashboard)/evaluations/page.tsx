import type { Metadata } from 'next';
import { EvalRunsTable } from '@/components/evals/eval-runs-table';

export const metadata: Metadata = { title: 'Evaluations' };

export default function EvaluationsPage() {
  return <EvalRunsTable />;
}
