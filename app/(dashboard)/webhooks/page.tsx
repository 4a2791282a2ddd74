import type { Metadata } from 'next';
import { WebhookEndpointsTable } from '@/components/webhooks/webhook-endpoints-table';

export const metadata: Metadata = { title: 'Webhooks' };

export default function WebhooksPage() {
  return <WebhookEndpointsTable />;
}
