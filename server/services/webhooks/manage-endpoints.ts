// A project's webhook endpoints: create (the secret is returned once), list, update, delete,
// rotate the secret, send a test event, and read the delivery log. Every read and write goes
// through the caller's tenant client, so another project's endpoint is simply not found.
import { z } from 'zod';
import { getDb, type Db } from '@/server/db';
import type { TenantContext } from '@/server/db/tenant';
import { LatheError, notFound } from '@/server/services/errors';
import { recordAudit } from '@/server/services/audit/record-audit';
import { encryptSecret } from '@/server/services/secrets/encrypt-secret';
import { getBoss } from '@/server/queue/boss';
import { WEBHOOK_EVENT_TYPES, WEBHOOK_TEST_EVENT, type WebhookPayload } from '@/lib/universal/webhook-events';
import { assertWebhookDestination, type DestinationOptions } from './destination';
import { generateWebhookSecret } from './sign-webhook';
import { newEventId, recordEventDeliveries } from './emit-webhook-event';

/** After a rotation the old secret keeps signing (beside the new one) this long, so receivers can switch without missing a delivery. */
export const SECRET_GRACE_MS = 24 * 3600_000;

export const ZWebhookEventList = z.array(z.enum(WEBHOOK_EVENT_TYPES)).min(1, 'Subscribe to at least one event.').max(WEBHOOK_EVENT_TYPES.length);
export const ZCreateWebhookEndpoint = z.object({
  url: z.string().trim().min(1, 'Give the URL that receives the webhooks.').max(2048),
  description: z.string().trim().max(200).default(''),
  events: ZWebhookEventList,
});
export type TCreateWebhookEndpoint = z.input<typeof ZCreateWebhookEndpoint>;
export const ZUpdateWebhookEndpoint = z.object({
  id: z.string().min(1),
  url: z.string().trim().min(1).max(2048).optional(),
  description: z.string().trim().max(200).optional(),
  events: ZWebhookEventList.optional(),
  enabled: z.boolean().optional(),
});
export type TUpdateWebhookEndpoint = z.input<typeof ZUpdateWebhookEndpoint>;

const secretContext = (scope: { organizationId: string; projectId: string }) => `webhook-endpoint:${scope.organizationId}:${scope.projectId}`;

const endpointFields = {
  id: true, url: true, description: true, events: true, enabled: true, disabledReason: true, disabledAt: true, secretLast4: true,
  previousSecretExpiresAt: true, consecutiveFailures: true, lastSuccessAt: true, createdAt: true, updatedAt: true,
} as const;

export type WebhookEndpointSummary = Awaited<ReturnType<typeof listWebhookEndpoints>>[number];

export async function listWebhookEndpoints({ tenant }: { tenant: TenantContext }) {
  return tenant.db.webhookEndpoint.findMany({ select: endpointFields, orderBy: { createdAt: 'desc' } });
}

export async function getWebhookEndpoint({ tenant, id }: { tenant: TenantContext; id: string }) {
  const endpoint = await tenant.db.webhookEndpoint.findFirst({ where: { id }, select: endpointFields });
  if (!endpoint) throw notFound('Webhook endpoint');
  return endpoint;
}

export async function createWebhookEndpoint({ tenant, input, destination }: { tenant: TenantContext; input: TCreateWebhookEndpoint; destination?: DestinationOptions }) {
  const { url, description, events } = ZCreateWebhookEndpoint.parse(input);
  const checkedUrl = await assertWebhookDestination(url, destination);
  const secret = generateWebhookSecret();
  const endpoint = await tenant.db.$transaction(async (tx) => {
    const row = await tx.webhookEndpoint.create({
      data: {
        organizationId: tenant.scope.organizationId,
        projectId: tenant.scope.projectId,
        url: checkedUrl,
        description,
        events: [...new Set(events)],
        secretCiphertext: encryptSecret(secret, secretContext(tenant.scope)),
        secretLast4: secret.slice(-4),
        createdById: tenant.actor.userId ?? null,
      },
      select: endpointFields,
    });
    await recordAudit(tx, { organizationId: tenant.scope.organizationId, actor: tenant.actor, action: 'webhook.create', targetType: 'WebhookEndpoint', targetId: row.id, data: { url: checkedUrl, events: row.events } });
    return row;
  });
  return { endpoint, secret };
}

export async function updateWebhookEndpoint({ tenant, input, destination }: { tenant: TenantContext; input: TUpdateWebhookEndpoint; destination?: DestinationOptions }) {
  const { id, url, description, events, enabled } = ZUpdateWebhookEndpoint.parse(input);
  await getWebhookEndpoint({ tenant, id });
  const checkedUrl = url === undefined ? undefined : await assertWebhookDestination(url, destination);
  const reenabling = enabled === true;
  return tenant.db.$transaction(async (tx) => {
    await tx.webhookEndpoint.update({
      where: { id },
      data: {
        ...(checkedUrl !== undefined ? { url: checkedUrl } : {}),
        ...(description !== undefined ? { description } : {}),
        ...(events !== undefined ? { events: [...new Set(events)] } : {}),
        ...(enabled !== undefined ? { enabled } : {}),
        ...(reenabling ? { disabledReason: null, disabledAt: null, consecutiveFailures: 0 } : {}),
        ...(enabled === false ? { disabledAt: new Date(), disabledReason: null } : {}),
      },
    });
    await recordAudit(tx, { organizationId: tenant.scope.organizationId, actor: tenant.actor, action: 'webhook.update', targetType: 'WebhookEndpoint', targetId: id, data: { url: checkedUrl ?? null, events: events ?? null, enabled: enabled ?? null } });
    return tx.webhookEndpoint.findFirstOrThrow({ where: { id }, select: endpointFields });
  });
}

export async function deleteWebhookEndpoint({ tenant, id }: { tenant: TenantContext; id: string }) {
  await getWebhookEndpoint({ tenant, id });
  await tenant.db.$transaction(async (tx) => {
    await tx.webhookEndpoint.delete({ where: { id } });
    await recordAudit(tx, { organizationId: tenant.scope.organizationId, actor: tenant.actor, action: 'webhook.delete', targetType: 'WebhookEndpoint', targetId: id });
  });
  return { id, deleted: true as const };
}

/** A new secret, returned once; the old one keeps signing beside it for SECRET_GRACE_MS. */
export async function rotateWebhookSecret({ tenant, id, now = new Date() }: { tenant: TenantContext; id: string; now?: Date }) {
  await getWebhookEndpoint({ tenant, id });
  const secret = generateWebhookSecret();
  const endpoint = await tenant.db.$transaction(async (tx) => {
    const current = await tx.webhookEndpoint.findFirstOrThrow({ where: { id }, select: { secretCiphertext: true } });
    const previousSecretExpiresAt = new Date(now.getTime() + SECRET_GRACE_MS);
    const row = await tx.webhookEndpoint.update({
      where: { id },
      data: { secretCiphertext: encryptSecret(secret, secretContext(tenant.scope)), secretLast4: secret.slice(-4), previousSecretCiphertext: current.secretCiphertext, previousSecretExpiresAt },
      select: endpointFields,
    });
    await recordAudit(tx, { organizationId: tenant.scope.organizationId, actor: tenant.actor, action: 'webhook.rotate_secret', targetType: 'WebhookEndpoint', targetId: id, data: { previousValidUntil: previousSecretExpiresAt.toISOString() } });
    return row;
  });
  return { endpoint, secret };
}

/** Queues a `webhook.test` event to this endpoint alone, whatever it subscribes to. */
export async function sendTestWebhookEvent({ tenant, id, db = getDb() }: { tenant: TenantContext; id: string; db?: Db }) {
  const endpoint = await getWebhookEndpoint({ tenant, id });
  if (!endpoint.enabled) throw new LatheError('PRECONDITION_FAILED', 'The endpoint is disabled, so it receives no events. Enable it first.', { reason: 'webhook_endpoint_disabled' });
  const eventId = newEventId();
  const payload: WebhookPayload = { id: eventId, object: 'event', type: WEBHOOK_TEST_EVENT, created_at: Math.floor(Date.now() / 1000), data: { id: endpoint.id } };
  const boss = await getBoss();
  const [deliveryId] = await db.$transaction((tx) =>
    recordEventDeliveries(tx, boss, { id: eventId, organizationId: tenant.scope.organizationId, projectId: tenant.scope.projectId, type: WEBHOOK_TEST_EVENT, payload, dedupeKey: `${WEBHOOK_TEST_EVENT}:${eventId}` }, [
      { id: endpoint.id, projectId: tenant.scope.projectId },
    ]),
  );
  return { eventId, deliveryId: deliveryId! };
}

/** The newest deliveries to an endpoint, each with its tries (request, response excerpt, latency). */
export async function listWebhookDeliveries({ tenant, endpointId, limit = 50 }: { tenant: TenantContext; endpointId: string; limit?: number }) {
  await getWebhookEndpoint({ tenant, id: endpointId });
  const rows = await tenant.db.webhookDelivery.findMany({
    where: { endpointId },
    orderBy: { createdAt: 'desc' },
    take: limit,
    include: {
      event: { select: { id: true, type: true } },
      attemptLog: { orderBy: { attempt: 'desc' }, select: { id: true, attempt: true, url: true, requestHeaders: true, requestBody: true, responseStatus: true, responseBody: true, error: true, latencyMs: true, createdAt: true } },
    },
  });
  return rows.map((row) => ({
    id: row.id,
    eventId: row.event.id,
    eventType: row.event.type,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.status === 'PENDING' ? row.nextAttemptAt : null,
    createdAt: row.createdAt,
    tries: row.attemptLog.map((a) => ({ ...a, requestHeaders: a.requestHeaders as Record<string, string> })),
  }));
}
