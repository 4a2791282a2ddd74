import { Suspense } from 'react';
import type { Metadata } from 'next';
import { UsageOverview } from '@/components/billing/usage-overview';

export const metadata: Metadata = { title: 'Usage & billing' };

export default function UsagePage() {
  return (
    <Suspense>
      <UsageOverview />
    </Suspense>
  );
}
