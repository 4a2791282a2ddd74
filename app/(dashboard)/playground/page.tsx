import type { Metadata } from 'next';
import { MessagesSquare } from 'lucide-react';
import { SectionEmptyPage } from '@/components/dashboard/section-empty-page';

export const metadata: Metadata = { title: 'Playground' };

export default function PlaygroundPage() {
  return <SectionEmptyPage section="playground" icon={<MessagesSquare />} />;
}
