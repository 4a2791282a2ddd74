import type { Metadata } from 'next';
import { Playground } from '@/components/playground/playground';
import { requireUser } from '@/server/auth/current-user';

export const metadata: Metadata = { title: 'Playground' };

export default async function PlaygroundPage() {
  await requireUser('/playground');
  return <Playground />;
}
