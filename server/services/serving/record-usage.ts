// Metered inference: each answered request adds to its (project, key, model, day) usage row and
// is charged to the organization's ledger at the base model's serving price (the price book's
// prompt and completion prices for its size class, or the model's override), once per request id.
import type { Db } from '@/server/db';
import type { TenantScope } from '@/server/db/tenant';
import { chargeUsage } from '@/server/services/credits/ledger';
import { creditsForTokens } from '@/server/services/credits/price';
import { inferencePricePerMillion, type PricedModel } from '@/lib/universal/price-book';
import { getPriceBook } from '@/server/services/billing/price-book';

export type TokenUsage = { prompt_tokens: number; completion_tokens: number };

export type RecordUsageOptions = {
  db: Db;
  scope: TenantScope;
  /** Null for the dashboard's playground (a signed-in member, no key). */
  apiKeyId: string | null;
  model: string;
  usage: TokenUsage;
  /** The base model that served the request: its size and any price override. */
  pricedModel: PricedModel;
  /** The response id: the charge's idempotency key. */
  requestId: string;
};

const utcDay = (date: Date) => new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));

export async function recordUsage({ db, scope, apiKeyId, model, usage, pricedModel, requestId }: RecordUsageOptions): Promise<void> {
  const day = utcDay(new Date());
  const price = inferencePricePerMillion(await getPriceBook({ db }), pricedModel);
  const credits = creditsForTokens(usage.prompt_tokens, price.prompt).plus(creditsForTokens(usage.completion_tokens, price.completion));
  const key = { organizationId: scope.organizationId, projectId: scope.projectId, apiKeyId, model, day };
  await db.$transaction(async (tx) => {
    // The unique index treats a null key as distinct, so playground rows are serialised by a lock
    // instead of relying on a conflict.
    await tx.$executeRawUnsafe('SELECT pg_advisory_xact_lock(hashtext($1))', `usage:${scope.projectId}:${apiKeyId ?? ''}:${model}:${day.toISOString()}`);
    const increments = { requests: { increment: 1 }, promptTokens: { increment: BigInt(usage.prompt_tokens) }, completionTokens: { increment: BigInt(usage.completion_tokens) }, credits: { increment: credits } };
    const { count } = await tx.usageRecord.updateMany({ where: key, data: increments });
    if (count === 0) {
      await tx.usageRecord.create({ data: { ...key, requests: 1, promptTokens: BigInt(usage.prompt_tokens), completionTokens: BigInt(usage.completion_tokens), credits } });
    }
  });
  await chargeUsage({
    db,
    organizationId: scope.organizationId,
    apiKeyId,
    amount: credits,
    idempotencyKey: `usage:${requestId}`,
    memo: `inference ${model}: ${usage.prompt_tokens} prompt + ${usage.completion_tokens} completion tokens`,
  });
}
