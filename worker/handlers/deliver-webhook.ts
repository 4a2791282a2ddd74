// webhook.deliver: one try of one webhook delivery. The service records the try and queues the
// next one itself (its own 24-hour back-off), so a failed try completes this job; only an error
// before the try was recorded (the database went away) fails it for pg-boss to retry.
import { deliverWebhookJob } from '@/server/queue/contracts';
import { getDb } from '@/server/db';
import { deliverWebhook, deliveryPolicy, type DeliveryPolicy } from '@/server/services/webhooks/deliver-webhook';
import { defineHandler } from '@/worker/handlers/define-handler';

export function createDeliverWebhookHandler(policy: DeliveryPolicy = deliveryPolicy()) {
  return defineHandler({
    contract: deliverWebhookJob,
    run: ({ payload: { deliveryId } }) => deliverWebhook({ db: getDb(), deliveryId, policy }),
  });
}

export const deliverWebhookHandler = createDeliverWebhookHandler();
