import type { Metadata } from 'next';
import { FlaskConical } from 'lucide-react';
import { SectionEmptyPage } from '@/components/dashboard/section-empty-page';

export const metadata: Metadata = { title: 'Jobs' };

export default function JobsPage() {
  return <SectionEmptyPage section="jobs" icon={<FlaskConical />} />;
}
