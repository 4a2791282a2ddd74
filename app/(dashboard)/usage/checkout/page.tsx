import { Suspense } from 'react';
import type { Metadata } from 'next';
import { CheckoutResult } from '@/components/billing/checkout-result';

export const metadata: Metadata = { title: 'Payment' };

export default function CheckoutPage() {
  return (
    <Suspense>
      <CheckoutResult />
    </Suspense>
  );
}
