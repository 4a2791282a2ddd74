// The web side of /v1/chat/completions and /v1/completions (and the dashboard's playground):
// rate-limit, validate, check credits, resolve the model name in the caller's project, find (or
// wake) the deployment serving its base model, and proxy to that runner's inference server with
// the internal token. Streams pass through event by event as they arrive; the usage the server
// reports (in the answer, or in the final stream chunk) is recorded and charged. A generation that
// ends without that report (the client went away, the stream broke) is charged from the usage its
// server kept under the id this side gave it.
import { getDb, type Db } from '@/server/db';
import type { TenantContext } from '@/server/db/tenant';
import { logger } from '@/server/logger';
import { InferenceClient, type GenerationPath } from '@/server/services/serving/inference-client';
import { badRequest, InferenceError } from '@/lib/universal/openai/errors';
import { assertSupported, ZChatCompletionRequest, ZCompletionRequest, zodToInferenceError } from '@/lib/universal/openai/schema';
import { assertHasCredits } from '@/server/services/credits/ledger';
import { internalToken, servingConfig } from '@/server/services/serving/config';
import { awaitReadyDeployment, type ReadyDeployment } from '@/server/services/serving/deployments';
import { notifyAdapterRequest } from '@/server/services/serving/adapter-requests';
import { RateLimiter } from '@/server/services/serving/rate-limit';
import { recordUsage, type TokenUsage } from '@/server/services/serving/record-usage';
import { readBodyText } from '@/server/services/request-body/read-body';
import { findUnstorableText } from '@/lib/universal/storable-text';
import { resolveModel, type ResolvedModel } from '@/server/services/serving/resolve-model';

export type ServeGenerationOptions = {
  tenant: TenantContext;
  path: GenerationPath;
  /** The client's request: its JSON body, and its signal, aborted when the client goes away (the upstream request is then cancelled and its slot freed). */
  request: Request;
  /** Who the rate limit counts: `key:<id>` or `user:<id>`. */
  caller: string;
  apiKeyId: string | null;
  db?: Db;
};

const limiter = new RateLimiter(() => servingConfig().LATHE_RATE_LIMIT_RPM);
const clients = new Map<string, InferenceClient>();
/** Organizations seen with a positive balance, and until when that answer is reused. */
const fundedUntil = new Map<string, number>();
const FUNDED_TTL_MS = 5_000;
/**
 * READY deployments by base model, reused for a while so a model in use costs no lookup per
 * request. A stale entry is safe: a server that moved or stopped answers 502/503 (or not at all,
 * which the client reports as 503 inference_unavailable), and that drops the entry and looks again.
 */
const readyDeployments = new Map<string, { deployment: ReadyDeployment; until: number }>();
const READY_TTL_MS = 10_000;
const ADAPTER_WAIT_MS = 120_000;
/** How long to wait for an inference server to say what an unreported generation used. */
const REPORT_WAIT_MS = 60_000;
const RENOTIFY_MS = 5_000;
const RETRY_MS = 250;

function clientFor(endpoint: string): InferenceClient {
  let client = clients.get(endpoint);
  if (!client) {
    client = new InferenceClient({ baseUrl: endpoint, token: internalToken() });
    clients.set(endpoint, client);
  }
  return client;
}

/**
 * PAYMENT_REQUIRED when the organization has no credits. A positive balance is remembered for a
 * few seconds: usage is charged after each request anyway, so this only bounds how far a burst of
 * requests can run past zero.
 */
async function hasCredits(db: Db, organizationId: string, apiKeyId: string | null): Promise<void> {
  const cacheKey = `${organizationId}:${apiKeyId ?? ''}`;
  if ((fundedUntil.get(cacheKey) ?? 0) > Date.now()) return;
  await assertHasCredits({ db, organizationId, apiKeyId });
  fundedUntil.set(cacheKey, Date.now() + FUNDED_TTL_MS);
}

async function readyDeployment(db: Db, baseModel: ResolvedModel['baseModel'], options: { lapseMs: number; deadline: number; signal?: AbortSignal }): Promise<ReadyDeployment> {
  const cached = readyDeployments.get(baseModel.id);
  if (cached && cached.until > Date.now()) return cached.deployment;
  const deployment = await awaitReadyDeployment({ db, baseModel, ...options });
  readyDeployments.set(baseModel.id, { deployment, until: Date.now() + READY_TTL_MS });
  return deployment;
}

/** Reads a request body (at most LATHE_MAX_JSON_BODY_BYTES) as JSON; an OpenAI-shaped 400 when it is not. */
export async function readJsonBody(req: Request): Promise<unknown> {
  const text = await readBodyText(req);
  if (text.trim() === '') throw badRequest('The request body is empty; send a JSON object.', 'invalid_json');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw badRequest(`The request body is not valid JSON: ${(error as Error).message}`, 'invalid_json');
  }
}

function validate(path: GenerationPath, body: unknown) {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw badRequest('The request body must be a JSON object.', 'invalid_request');
  const parsed = path === '/v1/chat/completions' ? ZChatCompletionRequest.safeParse(body) : ZCompletionRequest.safeParse(body);
  if (!parsed.success) throw zodToInferenceError(parsed.error, body);
  // The name is looked up in the database, which cannot hold such a name and fails on it.
  if (findUnstorableText(parsed.data.model) !== null) throw badRequest("Invalid 'model': it holds a NUL character or an unpaired UTF-16 surrogate.", 'invalid_request', 'model');
  assertSupported(parsed.data);
  return parsed.data;
}

export function inferenceErrorResponse(error: InferenceError): Response {
  return Response.json(error.toJSON(), { status: error.status, headers: error.retryAfter ? { 'Retry-After': String(error.retryAfter) } : {} });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function errorCodeOf(response: Response): Promise<string | null> {
  try {
    return ((await response.clone().json()) as { error?: { code?: string } }).error?.code ?? null;
  } catch {
    return null;
  }
}

/** Asks the deployment's runner for the adapter and waits until its inference server lists it. */
async function loadAdapter(db: Db, deployment: ReadyDeployment, model: ResolvedModel, deadline: number, signal?: AbortSignal): Promise<void> {
  const adapter = model.adapter!;
  const client = clientFor(deployment.endpoint);
  const until = Math.max(deadline, Date.now() + ADAPTER_WAIT_MS);
  let notifiedAt = 0;
  for (;;) {
    if (Date.now() - notifiedAt > RENOTIFY_MS) {
      notifiedAt = Date.now();
      await notifyAdapterRequest(db, { deploymentId: deployment.id, name: model.name, kind: adapter.kind, id: adapter.id });
    }
    const listed = await client.models({ signal }).catch(() => null);
    if (listed?.data.some((m) => m.id === model.name)) return;
    if (signal?.aborted) throw signal.reason ?? new Error('aborted');
    if (Date.now() > until) {
      throw new InferenceError('adapter_loading', `The adapter of \`${model.requested}\` is still being loaded on its runner; retry in a few seconds.`, { retryAfter: 5 });
    }
    await sleep(RETRY_MS);
  }
}

/** The upstream request sent last: the server and the id to ask for its usage when it ends unreported. */
type Upstream = { endpoint: string; generationId: string };

/** Proxies one request to the inference server for the model, waking its deployment or adapter when needed. */
async function forward(db: Db, model: ResolvedModel, path: GenerationPath, body: object, sent: { last: Upstream | null }, signal?: AbortSignal): Promise<Response> {
  const { RUNNER_LAPSE_MS: lapseMs, LATHE_DEPLOY_WAIT_MS: waitMs } = servingConfig();
  const deadline = Date.now() + waitMs;
  let adapterLoaded = false;
  let staleChecked = false;
  for (;;) {
    const deployment = await readyDeployment(db, model.baseModel, { lapseMs, deadline, signal });
    sent.last = { endpoint: deployment.endpoint, generationId: crypto.randomUUID() };
    const response = await clientFor(deployment.endpoint).forward(path, body, { signal, generationId: sent.last.generationId });
    if (response.status === 502 || response.status === 503) readyDeployments.delete(model.baseModel.id);
    if (response.status === 404 && !staleChecked && (await errorCodeOf(response)) === 'model_not_found') {
      // Maybe a remembered endpoint now held by another model's server: look the deployment up
      // again once before taking the answer (or, for an adapter, asking the runner to load it).
      staleChecked = true;
      readyDeployments.delete(model.baseModel.id);
      void response.body?.cancel().catch(() => undefined);
      continue;
    }
    if (response.status === 404 && model.adapter && !adapterLoaded && (await errorCodeOf(response)) === 'model_not_found') {
      await loadAdapter(db, deployment, model, deadline, signal);
      adapterLoaded = true;
      continue;
    }
    // Not reachable: the server is restarting after a crash, or its runner is gone (the lookup
    // above hands a lapsed runner's deployment to another). Nothing ran, so trying again is safe.
    if (response.status === 503 && Date.now() < deadline && (await errorCodeOf(response)) === 'inference_unavailable') {
      if (signal?.aborted) throw signal.reason ?? new Error('aborted');
      await sleep(RETRY_MS);
      continue;
    }
    return response;
  }
}

const SSE_HEADERS = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  // no-transform keeps compression (which buffers) off the stream.
  'Cache-Control': 'no-cache, no-transform',
  'X-Accel-Buffering': 'no',
};

/**
 * Relays an upstream event stream, complete events as they arrive, renaming the model to the
 * name the client asked for and handing the usage chunk to `onUsage`. Cancelling the relay (the
 * client went away) cancels the upstream body, which stops the generation; a relay that ends
 * either way without a usage chunk calls `onUnreported` once the upstream is cancelled.
 */
export function relayEventStream(
  upstream: ReadableStream<Uint8Array>,
  { rename, onUsage, onUnreported }: { rename: { from: string; to: string } | null; onUsage: (usage: TokenUsage, id: string) => Promise<void>; onUnreported: () => void },
): ReadableStream<Uint8Array> {
  const reader = upstream.getReader();
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  const from = rename ? `"model":${JSON.stringify(rename.from)}` : '';
  const to = rename ? `"model":${JSON.stringify(rename.to)}` : '';
  let pending = '';
  let recording: Promise<void> | null = null;
  const handle = (event: string) => {
    if (event.includes('"usage":{')) {
      try {
        const chunk = JSON.parse(event.replace(/^data: ?/, '')) as { id?: string; usage?: TokenUsage };
        if (chunk.usage) recording = onUsage(chunk.usage, chunk.id ?? crypto.randomUUID());
      } catch {
        // Not a JSON event: passed on unchanged.
      }
    }
    // JSON strings escape their quotes, so `"model":"…"` occurs only as the key itself.
    return rename ? event.replace(from, to) : event;
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      // Reads until at least one complete event can be passed on: a pull that enqueues nothing
      // would not be called again.
      for (;;) {
        const { done, value } = await reader.read();
        if (done) {
          if (pending) controller.enqueue(encoder.encode(handle(pending)));
          if (recording) await recording;
          else onUnreported();
          controller.close();
          return;
        }
        pending += decoder.decode(value, { stream: true });
        const end = pending.lastIndexOf('\n\n');
        if (end < 0) continue;
        const complete = pending.slice(0, end + 2);
        pending = pending.slice(end + 2);
        controller.enqueue(encoder.encode(complete.split('\n\n').map((e) => (e ? handle(e) : e)).join('\n\n')));
        return;
      }
    },
    async cancel(reason) {
      await reader.cancel(reason);
      if (!recording) onUnreported();
    },
  });
}

/**
 * Charges a generation that ended without its usage reaching us (the client went away, the stream
 * broke) with what its inference server counted: every token generated, prompt included.
 */
async function chargeUnreported(sent: Upstream, record: (usage: TokenUsage, requestId: string) => Promise<void>): Promise<void> {
  const report = await clientFor(sent.endpoint).generationReport(sent.generationId, { signal: AbortSignal.timeout(REPORT_WAIT_MS) });
  if (report.usage) await record(report.usage, report.id ?? sent.generationId);
}

/** Serves one generation request; errors the inference layer defines come back as OpenAI-shaped responses, LatheErrors are thrown. */
export async function serveGeneration({ tenant, path, request, caller, apiKeyId, db = getDb() }: ServeGenerationOptions): Promise<Response> {
  const signal = request.signal;
  const sent: { last: Upstream | null } = { last: null };
  let unreported = () => {};
  try {
    // Counted before the body is read, so a caller over the limit costs no upload.
    limiter.take(caller);
    const raw = await readJsonBody(request);
    const body = validate(path, raw);
    // Both at once, one round trip fewer; a missing balance is reported before an unknown model.
    const [credits, resolved] = await Promise.allSettled([hasCredits(db, tenant.scope.organizationId, apiKeyId ?? null), resolveModel({ db: tenant.db, name: body.model })]);
    if (credits.status === 'rejected') throw credits.reason;
    if (resolved.status === 'rejected') throw resolved.reason;
    const model = resolved.value;
    if (path === '/v1/chat/completions' && !model.baseModel.chatTemplate) {
      throw badRequest(`The model \`${model.requested}\` has no chat template; use /v1/completions.`, 'chat_template_missing', 'model');
    }
    const record = async (usage: TokenUsage, requestId: string) => {
      try {
        await recordUsage({ db, scope: tenant.scope, apiKeyId, model: model.name, usage, pricedModel: model.baseModel, requestId });
      } catch (error) {
        logger.error({ err: error, model: model.name, requestId }, 'recording inference usage failed');
      }
    };
    unreported = () => {
      const upstream = sent.last;
      if (!upstream) return;
      chargeUnreported(upstream, record).catch((error: unknown) => logger.warn({ err: error, model: model.name, generationId: upstream.generationId }, 'charging an unreported generation failed'));
    };
    const response = await forward(db, model, path, { ...(raw as object), model: model.name }, sent, signal);
    const contentType = response.headers.get('content-type') ?? '';
    if (response.status !== 200) return response;
    if (contentType.startsWith('text/event-stream') && response.body) {
      const rename = model.requested === model.name ? null : { from: model.name, to: model.requested };
      return new Response(relayEventStream(response.body, { rename, onUsage: record, onUnreported: unreported }), { status: 200, headers: SSE_HEADERS });
    }
    const answer = (await response.json()) as { id?: string; model?: string; usage?: TokenUsage };
    answer.model = model.requested;
    if (answer.usage) await record(answer.usage, answer.id ?? crypto.randomUUID());
    return Response.json(answer);
  } catch (error) {
    if (error instanceof InferenceError) return inferenceErrorResponse(error);
    // The client went away while the request waited or ran: nobody reads this answer, but what
    // was generated until the upstream request closed is charged.
    if (signal.aborted) {
      unreported();
      return new Response(null, { status: 499 });
    }
    throw error;
  }
}
