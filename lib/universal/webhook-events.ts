// The events Lathe sends to webhook endpoints, shared by the service that emits them, the
// dashboard's event picker and the docs. Browser-safe: it imports nothing.

export const WEBHOOK_EVENT_TYPES = [
  'fine_tuning.job.succeeded',
  'fine_tuning.job.failed',
  'fine_tuning.job.cancelled',
  'dataset.validated',
  'dataset.failed',
  'model.ready',
  'credits.low',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** Sent only by "Send test event", to the one endpoint it was asked for, whatever it subscribes to. */
export const WEBHOOK_TEST_EVENT = 'webhook.test';

export function isWebhookEventType(value: string): value is WebhookEventType {
  return (WEBHOOK_EVENT_TYPES as readonly string[]).includes(value);
}

/** The body of every webhook, shaped like OpenAI's fine-tuning webhooks. */
export type WebhookPayload = {
  id: string;
  object: 'event';
  type: WebhookEventType | typeof WEBHOOK_TEST_EVENT;
  /** Unix seconds. */
  created_at: number;
  data: { id: string } & Record<string, unknown>;
};
