import type { Metadata } from 'next';
import { WebhookEndpointView } from '@/components/webhooks/webhook-endpoint-view';

export const metadata: Metadata = { title: 'Webhook endpoint' };

export default async function WebhookEndpointPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <WebhookEndpointView key={id} id={decodeURIComponent(id)} />;
}
