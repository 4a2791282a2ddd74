// Records that something happened, for every enabled endpoint subscribed to it, and queues one
// delivery per endpoint, all in the transaction of the change when the caller passes one (or in
// its own): the pg-boss job is written through the same transaction, so an event is delivered if
// and only if its change committed. Emitting the same change twice (a retried finish, a second
// worker) finds its dedupe key taken and does nothing.
import { randomBytes } from 'node:crypto';
import { fromPrisma, type PgBoss } from 'pg-boss';
import type { Db, Tx } from '@/server/db';
import { getBoss } from '@/server/queue/boss';
import { deliverWebhookJob, enqueue } from '@/server/queue/contracts';
import { logger } from '@/server/logger';
import type { WebhookEventType, WebhookPayload } from '@/lib/universal/webhook-events';

export type EmitWebhookEventOptions = {
  db: Db;
  /** The transaction of the state change; without it the event gets its own. */
  tx?: Tx;
  organizationId: string;
  /** The project the event belongs to; null for organization-wide events (credits.low), sent to every project's endpoints. */
  projectId: string | null;
  type: WebhookEventType;
  data: WebhookPayload['data'];
  /** One event per key, ever: the state change it reports (e.g. `fine_tuning.job.failed:<job id>`). */
  dedupeKey: string;
  boss?: PgBoss;
};

export function newEventId() {
  return `evt_${randomBytes(12).toString('hex')}`;
}

type EventRow = { id: string; organizationId: string; projectId: string | null; type: string; payload: WebhookPayload; dedupeKey: string };

/** Writes the event and a delivery for each endpoint given, and queues those deliveries, in `tx`. */
export async function recordEventDeliveries(tx: Tx, boss: PgBoss, event: EventRow, endpoints: { id: string; projectId: string }[]) {
  const created = await tx.webhookEvent.createManyAndReturn({ data: [{ ...event, payload: event.payload as object }], skipDuplicates: true, select: { id: true } });
  if (created.length === 0) return [];
  const deliveries = await tx.webhookDelivery.createManyAndReturn({
    data: endpoints.map((endpoint) => ({ organizationId: event.organizationId, projectId: endpoint.projectId, endpointId: endpoint.id, eventId: event.id })),
    select: { id: true },
  });
  for (const delivery of deliveries) await enqueue(boss, deliverWebhookJob, { deliveryId: delivery.id }, { db: fromPrisma(tx) });
  return deliveries.map((d) => d.id);
}

/**
 * Emits an event to the endpoints subscribed to it. Never throws: a webhook must not undo or fail
 * the change it reports; a failure to record is logged. Returns the delivery ids queued.
 */
export async function emitWebhookEvent(options: EmitWebhookEventOptions): Promise<string[]> {
  const { db, tx, organizationId, projectId, type, data, dedupeKey } = options;
  const run = async (t: Tx) => {
    const endpoints = await t.webhookEndpoint.findMany({
      where: { organizationId, ...(projectId ? { projectId } : {}), enabled: true, events: { has: type } },
      select: { id: true, projectId: true },
    });
    if (endpoints.length === 0) return [];
    const id = newEventId();
    const payload: WebhookPayload = { id, object: 'event', type, created_at: Math.floor(Date.now() / 1000), data };
    const boss = options.boss ?? (await getBoss());
    return recordEventDeliveries(t, boss, { id, organizationId, projectId, type, payload, dedupeKey }, endpoints);
  };
  try {
    return tx ? await run(tx) : await db.$transaction(run);
  } catch (error) {
    if (tx) throw error;
    logger.error({ err: error, type, dedupeKey }, 'could not record a webhook event');
    return [];
  }
}

