// One try of one delivery, run by the worker's `webhook.deliver` queue. The try is claimed with a
// guarded update (a duplicate job, or a second worker, finds it taken), checked against the SSRF
// rules, signed, sent to the checked address and recorded. A failure schedules the next try with
// exponential back-off (base, 2x base, 4x base, ... at most 2 h apart) for as long as the retry
// window (24 h) lasts from the event; a delivery that runs out of it fails, and the endpoint is
// disabled and its organization's owners mailed unless it received something since.
import { fromPrisma, type PgBoss } from 'pg-boss';
import type { Db } from '@/server/db';
import { getBoss } from '@/server/queue/boss';
import { deliverWebhookJob, enqueue } from '@/server/queue/contracts';
import { logger } from '@/server/logger';
import { LatheError } from '@/server/services/errors';
import { decryptSecret } from '@/server/services/secrets/encrypt-secret';
import { sendMail } from '@/server/services/mail/send-mail';
import type { WebhookPayload } from '@/lib/universal/webhook-events';
import { allowPrivateDestinations, parseWebhookUrl, resolveDestination } from './destination';
import { sendWebhookRequest, type WebhookResponse } from './send-webhook-request';
import { webhookHeaders } from './sign-webhook';

export type DeliveryPolicy = {
  retryBaseMs: number;
  retryWindowMs: number;
  maxDelayMs: number;
  allowPrivate: boolean;
  timeoutMs: number;
};

export function deliveryPolicy(env: Record<string, string | undefined> = process.env): DeliveryPolicy {
  return {
    retryBaseMs: Number(env.LATHE_WEBHOOK_RETRY_BASE_MS ?? 30_000),
    retryWindowMs: Number(env.LATHE_WEBHOOK_RETRY_WINDOW_MS ?? 24 * 3600_000),
    maxDelayMs: 2 * 3600_000,
    allowPrivate: allowPrivateDestinations(env),
    timeoutMs: 10_000,
  };
}

/** A claimed try holds the delivery this long; a worker that died mid-try leaves it to pg-boss's retry of the job after that. */
const CLAIM_LEASE_MS = 60_000;
/** A job may start a little before the delivery's time by the database's clock: not a duplicate. */
const EARLY_SLACK_MS = 5_000;
const BODY_KEPT_BYTES = 64 * 1024;

/** Wait before the try after `tries` failed ones (1 → base). */
export function retryDelayMs(tries: number, policy: Pick<DeliveryPolicy, 'retryBaseMs' | 'maxDelayMs'>): number {
  return Math.min(policy.retryBaseMs * 2 ** Math.min(30, Math.max(0, tries - 1)), policy.maxDelayMs);
}

export type DeliveryOutcome = 'succeeded' | 'retrying' | 'failed' | 'skipped';

export type DeliverWebhookOptions = { db: Db; deliveryId: string; policy?: DeliveryPolicy; boss?: PgBoss; now?: () => Date };

const secretContext = (endpoint: { organizationId: string; projectId: string }) => `webhook-endpoint:${endpoint.organizationId}:${endpoint.projectId}`;

export async function deliverWebhook({ db, deliveryId, policy = deliveryPolicy(), boss, now = () => new Date() }: DeliverWebhookOptions): Promise<DeliveryOutcome> {
  const started = now();
  const claimed = await db.webhookDelivery.updateManyAndReturn({
    where: { id: deliveryId, status: 'PENDING', nextAttemptAt: { lte: new Date(started.getTime() + EARLY_SLACK_MS) } },
    data: { attempts: { increment: 1 }, nextAttemptAt: new Date(started.getTime() + CLAIM_LEASE_MS) },
    select: { attempts: true },
  });
  const attempt = claimed[0]?.attempts;
  if (attempt === undefined) return 'skipped';

  const delivery = await db.webhookDelivery.findUniqueOrThrow({
    where: { id: deliveryId },
    include: { event: true, endpoint: { omit: { secretCiphertext: false, previousSecretCiphertext: false } } },
  });
  const { endpoint, event } = delivery;
  const body = JSON.stringify(event.payload as WebhookPayload);

  let headers: Record<string, string> = {};
  let response: WebhookResponse;
  if (!endpoint.enabled) {
    response = { ok: false, latencyMs: 0, error: 'The endpoint is disabled; nothing was sent.' };
  } else {
    try {
      const url = parseWebhookUrl(endpoint.url);
      const addresses = await resolveDestination(url, { allowPrivate: policy.allowPrivate });
      const secrets = [decryptSecret(endpoint.secretCiphertext, secretContext(endpoint))];
      if (endpoint.previousSecretCiphertext && endpoint.previousSecretExpiresAt && endpoint.previousSecretExpiresAt > started) {
        secrets.push(decryptSecret(endpoint.previousSecretCiphertext, secretContext(endpoint)));
      }
      headers = { ...webhookHeaders(secrets, event.id, Math.floor(now().getTime() / 1000), body) };
      response = await sendWebhookRequest({ url, addresses, headers, body, timeoutMs: policy.timeoutMs });
    } catch (error) {
      if (!(error instanceof LatheError)) logger.warn({ err: error, deliveryId }, 'webhook try could not be made');
      response = { ok: false, latencyMs: 0, error: (error as Error).message };
    }
  }

  const finishedAt = now();
  const record = {
    organizationId: delivery.organizationId,
    projectId: delivery.projectId,
    deliveryId,
    attempt,
    url: endpoint.url,
    requestHeaders: headers,
    requestBody: body.slice(0, BODY_KEPT_BYTES),
    responseStatus: response.status ?? null,
    responseBody: response.body ?? null,
    error: response.error ?? (response.ok ? null : `The endpoint answered HTTP ${response.status}.`),
    latencyMs: response.latencyMs,
  };

  if (response.ok) {
    // lastSuccessAt only decides whether a day-long failure disables the endpoint: a minute stale is
    // as good, and a busy endpoint is not rewritten on every delivery.
    const endpointStale = endpoint.consecutiveFailures > 0 || !endpoint.lastSuccessAt || finishedAt.getTime() - endpoint.lastSuccessAt.getTime() > 60_000;
    await db.$transaction([
      db.webhookAttempt.create({ data: record }),
      db.webhookDelivery.update({ where: { id: deliveryId }, data: { status: 'SUCCEEDED', nextAttemptAt: finishedAt } }),
      ...(endpointStale ? [db.webhookEndpoint.update({ where: { id: endpoint.id }, data: { consecutiveFailures: 0, lastSuccessAt: finishedAt } })] : []),
    ]);
    return 'succeeded';
  }

  const delay = retryDelayMs(attempt, policy);
  const nextAt = new Date(finishedAt.getTime() + delay);
  const giveUp = !endpoint.enabled || nextAt.getTime() > event.createdAt.getTime() + policy.retryWindowMs;
  const sender = boss ?? (giveUp ? undefined : await getBoss());
  const disabled = await db.$transaction(async (tx) => {
    await tx.webhookAttempt.create({ data: record });
    await tx.webhookEndpoint.update({ where: { id: endpoint.id }, data: { consecutiveFailures: { increment: 1 } } });
    if (!giveUp) {
      await tx.webhookDelivery.update({ where: { id: deliveryId }, data: { nextAttemptAt: nextAt } });
      await enqueue(sender!, deliverWebhookJob, { deliveryId }, { db: fromPrisma(tx), startAfter: nextAt });
      return false;
    }
    await tx.webhookDelivery.update({ where: { id: deliveryId }, data: { status: 'FAILED', nextAttemptAt: finishedAt } });
    if (!endpoint.enabled) return false;
    // Disabled only when nothing got through since this delivery began: one bad event on a healthy endpoint does not switch it off.
    const { count } = await tx.webhookEndpoint.updateMany({
      where: { id: endpoint.id, enabled: true, OR: [{ lastSuccessAt: null }, { lastSuccessAt: { lt: delivery.createdAt } }] },
      data: { enabled: false, disabledAt: finishedAt, disabledReason: `Every delivery failed for ${Math.round(policy.retryWindowMs / 3600_000)} hours; the last try: ${record.error}`.slice(0, 500) },
    });
    return count === 1;
  });
  if (disabled) await mailOwners(db, endpoint, record.error ?? 'no answer');
  return giveUp ? 'failed' : 'retrying';
}

async function mailOwners(db: Db, endpoint: { id: string; url: string; organizationId: string }, lastError: string) {
  const owners = await db.membership.findMany({ where: { organizationId: endpoint.organizationId, role: 'OWNER' }, select: { user: { select: { email: true } } } });
  for (const { user } of owners) {
    await sendMail({
      to: user.email,
      subject: 'A Lathe webhook endpoint was disabled',
      text: [
        `Lathe disabled the webhook endpoint ${endpoint.url} after its deliveries kept failing.`,
        `The last try: ${lastError}`,
        'Fix the receiver, then enable the endpoint again on the Webhooks page; events that happen while it is disabled are not sent.',
      ].join('\n\n'),
    }).catch((error: unknown) => logger.error({ err: error, endpointId: endpoint.id }, 'could not mail the owners about a disabled webhook endpoint'));
  }
}
