// Organization A must not reach any row of organization B: every read, update and delete gets
// NOT_FOUND (tRPC) or 404 (REST), or simply does not see B's rows in lists. Each router adds its
// rows to the tables below.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { TRPCError } from '@trpc/server';
import { Server as SocketServer } from 'socket.io';
import { io as connectSocket } from 'socket.io-client';
import { authenticateSocket, startJobFanout } from '@/server/realtime/job-fanout';
import { describeError } from '@/lib/universal/errors';
import { getDb } from '@/server/db';
import { callerFor, callerForKey, createTestKey, createTestUser, type TestUser } from '@/tests/helpers/factories';
import { appRouter, createCaller } from '@/server/api/root';
import { GET as getModel } from '@/app/v1/models/[model]/route';
import { GET as listModels } from '@/app/v1/models/route';
import { GET as listFiles } from '@/app/v1/files/route';
import { DELETE as deleteFile, GET as getFile } from '@/app/v1/files/[file]/route';
import { GET as getFileContent } from '@/app/v1/files/[file]/content/route';
import { HEAD as headUpload, PATCH as patchUpload, POST as createUpload } from '@/app/api/uploads/[[...id]]/route';
import { GET as downloadDataset } from '@/app/(dashboard)/datasets/[id]/download/route';
import { POST as chatCompletions } from '@/app/v1/chat/completions/route';
import { POST as completions } from '@/app/v1/completions/route';
import { GET as downloadModel } from '@/app/api/downloads/[id]/[artifact]/route';
import { GET as downloadJobLog } from '@/app/api/jobs/[id]/log/route';
import { POST as playgroundChat } from '@/app/api/playground/route';
import { GET as listJobs } from '@/app/v1/fine_tuning/jobs/route';
import { GET as getJob } from '@/app/v1/fine_tuning/jobs/[id]/route';
import { GET as getJobEvents } from '@/app/v1/fine_tuning/jobs/[id]/events/route';
import { GET as getJobCheckpoints } from '@/app/v1/fine_tuning/jobs/[id]/checkpoints/route';
import { POST as cancelJob } from '@/app/v1/fine_tuning/jobs/[id]/cancel/route';

type Caller = ReturnType<typeof createCaller>;
type World = {
  a: TestUser;
  b: TestUser;
  aKey: string;
  b_: { apiKeyId: string; membershipId: string; invitationId: string; projectId: string; modelName: string; modelId: string; ledgerEntryId: string; datasetId: string; uploadUrl: string; tunedId: string; tunedName: string; aliasId: string; aliasName: string; resultFileId: string; jobId: string; webhookId: string; webhookUrl: string; presetId: string; presetName: string; evalSetId: string; evalRunId: string };
};

let world: World;

beforeAll(async () => {
  const a = await createTestUser();
  const b = await createTestUser();
  const db = getDb();
  const bCaller = callerFor(b);
  const { apiKey } = await bCaller.apiKey.create({ name: 'b-key' });
  const invitation = await bCaller.organization.invite({ email: `invitee-${Date.now()}@example.test`, role: 'MEMBER' });
  const membership = await db.membership.findFirstOrThrow({ where: { organizationId: b.organization.id } });
  const model = await db.baseModel.create({ data: { organizationId: b.organization.id, name: `b-private-${Date.now()}`, source: 'FOLDER', status: 'READY' } });
  const entry = await db.creditLedgerEntry.create({ data: { organizationId: b.organization.id, kind: 'GRANT', amount: 5 } });
  const dataset = await bCaller.dataset.createFromText({ filename: 'b-private.jsonl', content: '{"prompt":"b","completion":"c"}\n' });
  const tuned = await db.fineTunedModel.create({ data: { organizationId: b.organization.id, projectId: b.project.id, name: `ft:${model.name}:b:secret:${Date.now()}`, baseModelId: model.id, artifacts: { gguf: { sha256: '0'.repeat(64), size: 1 } } } });
  const alias = await db.modelAlias.create({ data: { organizationId: b.organization.id, projectId: b.project.id, name: `b-alias-${Date.now()}`, target: tuned.name } });
  await db.creditLedgerEntry.create({ data: { organizationId: a.organization.id, kind: 'GRANT', amount: 5 } });
  const finished = await db.trainingJob.create({
    data: { organizationId: b.organization.id, projectId: b.project.id, baseModelId: model.id, trainingDatasetId: dataset.id, status: 'succeeded', finishedAt: new Date(), hyperparameters: {}, seed: 1, artifacts: { metrics: { sha256: '0'.repeat(64), size: 1 } } },
  });
  await bCaller.organization.hubToken.set({ token: `hf_b_private_${Date.now()}` });
  // An IP literal: saved without a DNS look-up, and public, so the SSRF check lets it through.
  const webhook = await bCaller.webhooks.create({ url: `https://93.184.215.14/b-hooks-${Date.now()}`, events: ['model.ready'] });
  const evalSet = await bCaller.dataset.createFromText({ filename: 'b-evals.jsonl', content: '{"messages":[{"role":"user","content":"b?"}],"expected":"b"}\n', purpose: 'evals' });
  const evalRun = await db.evalRun.create({
    data: { organizationId: b.organization.id, projectId: b.project.id, evalSetId: evalSet.id, name: `b-eval-${Date.now()}`, models: [model.name], grader: { type: 'exact_match', ignoreCase: false } },
  });
  // Shared within B's project: visible to every member of B, and to no one else.
  const preset = await bCaller.playground.preset.create({ name: `b-preset-${Date.now()}`, systemPrompt: 'B private prompt', parameters: { temperature: 0.3, topP: 1, maxTokens: 64 }, shared: true });
  const upload = await createUpload(new Request('http://lathe.test/api/uploads', { method: 'POST', headers: { 'tus-resumable': '1.0.0', 'upload-length': '10', authorization: `Bearer ${await createTestKey(b)}` } }));
  world = {
    a,
    b,
    aKey: await createTestKey(a),
    b_: { apiKeyId: apiKey.id, membershipId: membership.id, invitationId: invitation.id, projectId: b.project.id, modelName: model.name, modelId: model.id, ledgerEntryId: entry.id, datasetId: dataset.id, uploadUrl: new URL(upload.headers.get('location')!, 'http://lathe.test').toString(), tunedId: tuned.id, tunedName: tuned.name, aliasId: alias.id, aliasName: alias.name, resultFileId: `file-${finished.id}-metrics`, jobId: finished.id, webhookId: webhook.endpoint.id, webhookUrl: webhook.endpoint.url, presetId: preset.id, presetName: preset.name, evalSetId: evalSet.id, evalRunId: evalRun.id },
  };
});

/** Mutations and reads addressed at one of B's rows by id. */
const byId: { name: string; call: (caller: Caller, w: World) => Promise<unknown>; asKey?: boolean }[] = [
  { name: 'apiKey.revoke', call: (c, w) => c.apiKey.revoke({ id: w.b_.apiKeyId }) },
  { name: 'model.get', call: (c, w) => c.model.get({ id: w.b_.modelId }), asKey: true },
  { name: 'model.delete', call: (c, w) => c.model.delete({ id: w.b_.modelId }) },
  { name: 'model.retryImport', call: (c, w) => c.model.retryImport({ id: w.b_.modelId }) },
  { name: 'model.retryImport (edited)', call: (c, w) => c.model.retryImport({ id: w.b_.modelId, name: 'taken-over', source: { kind: 'hub', repo: 'lathe/tiny-chat' } }) },
  { name: 'dataset.get', call: (c, w) => c.dataset.get({ id: w.b_.datasetId }), asKey: true },
  { name: 'dataset.delete', call: (c, w) => c.dataset.delete({ id: w.b_.datasetId }), asKey: true },
  { name: 'dataset.preview', call: (c, w) => c.dataset.preview({ id: w.b_.datasetId, model: w.b_.modelName }), asKey: true },
  { name: 'serving.downloads (id)', call: (c, w) => c.serving.downloads({ fineTunedModel: w.b_.tunedId }), asKey: true },
  { name: 'serving.downloads (name)', call: (c, w) => c.serving.downloads({ fineTunedModel: w.b_.tunedName }), asKey: true },
  { name: 'serving.hubPush', call: (c, w) => c.serving.hubPush({ fineTunedModel: w.b_.tunedId, repo: 'a-org/stolen', kind: 'adapter' }), asKey: true },
  { name: 'serving.hubPushes', call: (c, w) => c.serving.hubPushes({ fineTunedModel: w.b_.tunedName }), asKey: true },
  { name: 'serving.alias.update', call: (c, w) => c.serving.alias.update({ id: w.b_.aliasId, target: w.b_.modelName }), asKey: true },
  { name: 'serving.alias.delete', call: (c, w) => c.serving.alias.delete({ id: w.b_.aliasId }), asKey: true },
  { name: 'serving.deploy', call: (c, w) => c.serving.deploy({ baseModelId: w.b_.modelId }), asKey: true },
  { name: 'serving.undeploy', call: (c, w) => c.serving.undeploy({ baseModelId: w.b_.modelId }) },
  { name: 'serving.deleteFineTuned (id)', call: (c, w) => c.serving.deleteFineTuned({ id: w.b_.tunedId }), asKey: true },
  { name: 'serving.deleteFineTuned (name)', call: (c, w) => c.serving.deleteFineTuned({ id: w.b_.tunedName }), asKey: true },
  { name: 'organization.changeRole', call: (c, w) => c.organization.changeRole({ membershipId: w.b_.membershipId, role: 'ADMIN' }) },
  { name: 'organization.removeMember', call: (c, w) => c.organization.removeMember({ membershipId: w.b_.membershipId }) },
  { name: 'organization.revokeInvitation', call: (c, w) => c.organization.revokeInvitation({ invitationId: w.b_.invitationId }) },
  { name: 'job.get', call: (c, w) => c.job.get({ id: w.b_.jobId }), asKey: true },
  { name: 'job.events', call: (c, w) => c.job.events({ id: w.b_.jobId }), asKey: true },
  { name: 'job.checkpoints', call: (c, w) => c.job.checkpoints({ id: w.b_.jobId }), asKey: true },
  { name: 'job.cancel', call: (c, w) => c.job.cancel({ id: w.b_.jobId }), asKey: true },
  { name: 'job.delete', call: (c, w) => c.job.delete({ id: w.b_.jobId }), asKey: true },
  { name: 'job.estimate', call: (c, w) => c.job.estimate({ model: w.b_.modelName, training_file: `file-${w.b_.datasetId}` }), asKey: true },
  { name: 'job.create', call: (c, w) => c.job.create({ model: w.b_.modelName, training_file: `file-${w.b_.datasetId}` }), asKey: true },
  { name: 'webhooks.get', call: (c, w) => c.webhooks.get({ id: w.b_.webhookId }), asKey: true },
  { name: 'webhooks.update', call: (c, w) => c.webhooks.update({ id: w.b_.webhookId, enabled: false }), asKey: true },
  { name: 'webhooks.delete', call: (c, w) => c.webhooks.delete({ id: w.b_.webhookId }), asKey: true },
  { name: 'webhooks.rotateSecret', call: (c, w) => c.webhooks.rotateSecret({ id: w.b_.webhookId }), asKey: true },
  { name: 'webhooks.sendTest', call: (c, w) => c.webhooks.sendTest({ id: w.b_.webhookId }), asKey: true },
  { name: 'playground.preset.update', call: (c, w) => c.playground.preset.update({ id: w.b_.presetId, fields: { name: 'stolen', systemPrompt: '', parameters: { temperature: 1, topP: 1, maxTokens: 16 }, shared: true } }), asKey: true },
  { name: 'playground.preset.delete', call: (c, w) => c.playground.preset.delete({ id: w.b_.presetId }), asKey: true },
  { name: 'webhooks.deliveries', call: (c, w) => c.webhooks.deliveries({ endpointId: w.b_.webhookId }), asKey: true },
  { name: 'evals.get', call: (c, w) => c.evals.get({ id: w.b_.evalRunId }), asKey: true },
  { name: 'evals.create', call: (c, w) => c.evals.create({ evalSetId: w.b_.evalSetId, models: [w.b_.modelName], grader: { type: 'exact_match' } }), asKey: true },
];

/** Lists that must not contain B's rows. */
const lists: { name: string; call: (caller: Caller) => Promise<unknown>; asKey?: boolean }[] = [
  { name: 'apiKey.list', call: (c) => c.apiKey.list() },
  { name: 'organization.members', call: (c) => c.organization.members() },
  { name: 'project.list', call: (c) => c.project.list() },
  { name: 'billing.ledger', call: (c) => c.billing.ledger({ limit: 100 }), asKey: true },
  { name: 'billing.balance', call: (c) => c.billing.balance(), asKey: true },
  { name: 'billing.usage', call: (c) => c.billing.usage(), asKey: true },
  { name: 'audit.list', call: (c) => c.audit.list({ limit: 200 }) },
  { name: 'model.usable', call: (c) => c.model.usable(), asKey: true },
  { name: 'model.list', call: (c) => c.model.list(), asKey: true },
  { name: 'dataset.list', call: (c) => c.dataset.list(), asKey: true },
  { name: 'organization.current', call: (c) => c.organization.current() },
  { name: 'serving.deployments', call: (c) => c.serving.deployments(), asKey: true },
  { name: 'serving.alias.list', call: (c) => c.serving.alias.list(), asKey: true },
  { name: 'serving.chatModels', call: (c) => c.serving.chatModels(), asKey: true },
  { name: 'serving.fineTuned', call: (c) => c.serving.fineTuned(), asKey: true },
  { name: 'organization.quotas', call: (c) => c.organization.quotas(), asKey: true },
  { name: 'organization.hubToken.get', call: (c) => c.organization.hubToken.get(), asKey: true },
  { name: 'job.list', call: (c) => c.job.list(), asKey: true },
  { name: 'webhooks.list', call: (c) => c.webhooks.list(), asKey: true },
  { name: 'job.continuable', call: (c) => c.job.continuable(), asKey: true },
  { name: 'evals.list', call: (c) => c.evals.list(), asKey: true },
  { name: 'playground.preset.list', call: (c) => c.playground.preset.list(), asKey: true },
];

/** Procedures that address no row of another organization, and why. */
const NOT_ADDRESSED: Record<string, string> = {
  'auth.signUp': 'creates a new account',
  'auth.requestPasswordReset': 'addressed by e-mail; answers the same whether or not it exists',
  'auth.resetPassword': 'addressed by a secret token',
  'auth.verifyEmail': 'addressed by a secret token',
  'auth.resendVerification': "the caller's own account",
  'auth.acceptInvitation': 'addressed by a secret token, mailed to the invitee',
  'account.me': "the caller's own account",
  'project.checklist': "counts of the caller's own project and organization, through the tenant client; returns no row",
  'account.updateProfile': "the caller's own account",
  'account.setLocale': "the caller's own account",
  'account.setNotifications': "the caller's own account",
  'account.changePassword': "the caller's own account",
  'account.deleteAccount': "the caller's own account",
  'organization.hubToken.set': "the caller's own organization (the Hub-token test above checks B's is untouched)",
  'organization.hubToken.delete': "the caller's own organization (the Hub-token test above)",
  'organization.rename': "the caller's own organization",
  'organization.invite': "the caller's own organization",
  'project.create': "creates in the caller's own organization",
  'apiKey.create': "creates in the caller's own project",
  'admin.users': 'platform administrators only (FORBIDDEN to everyone else)',
  'admin.runners': 'platform administrators only',
  'admin.verifyAudit': 'platform administrators only',
  'admin.organizations': 'platform administrators only',
  'admin.quotas.get': 'platform administrators only (the Hub-token test above checks FORBIDDEN)',
  'admin.quotas.set': 'platform administrators only (the Hub-token test above checks FORBIDDEN)',
  'admin.billing.dashboard': 'platform administrators only',
  'admin.billing.search': 'platform administrators only',
  'admin.billing.priceBook': 'platform administrators only; the price book belongs to no organization',
  'admin.billing.setPriceBook': 'platform administrators only; the price book belongs to no organization',
  'admin.billing.grant': 'platform administrators only',
  'admin.billing.adjust': 'platform administrators only',
  'admin.billing.setSuspended': 'platform administrators only',
  'admin.billing.unfreeze': 'platform administrators only',
  'billing.summary': "the caller's own organization, named by its session in every query",
  'billing.usageSeries': "the caller's own organization, named by its session in every query",
  'billing.statement': "the caller's own organization, named by its session in every query",
  'billing.invoices': "the caller's own organization's Stripe customer",
  'billing.keySpend': "the caller's own organization's keys",
  'billing.checkoutStatus': "looks the session up within the caller's own organization only",
  'billing.checkout': "buys for the caller's own organization",
  'billing.portal': "the caller's own organization's Stripe customer",
  'billing.setAutoTopUp': "the caller's own organization (owners only)",
  'billing.setSpendCap': "the caller's own organization (owners only)",
  'billing.setKeySpendCap': "updates only a key of the caller's own organization (NOT_FOUND otherwise, billing-router test)",
  'model.importFromFolder': "creates in the caller's own organization, from its own import folder",
  'model.importFromGguf': "creates in the caller's own organization",
  'model.importFromHub': "creates in the caller's own organization",
  'model.searchHub': 'reads the Hub, not the database',
  'model.listHubFiles': 'reads the Hub, not the database',
  'dataset.uploadTarget': "the caller's own project",
  'dataset.createFromText': "creates in the caller's own project",
  'job.trainingStatus': 'platform-wide runner capability, no tenant rows',
  'serving.requestScope': "the caller's own scope",
  'serving.alias.create': "creates in the caller's own project, pointing at a model it can call",
  'webhooks.create': "creates in the caller's own project",
  'playground.preset.create': "creates in the caller's own project, owned by the caller",
};

/** Every route file: the row above that covers it, or why it addresses no row of another organization. */
const ROUTES: Record<string, string> = {
  'app/(dashboard)/datasets/[id]/download/route.ts': "B's upload and dataset download test",
  'app/[locale]/blog/rss.xml/route.ts': 'the public blog feed: no tenant rows',
  'app/og/[locale]/[page]/route.tsx': 'Open Graph images of the public pages: no tenant rows',
  'app/api/auth/[...nextauth]/route.ts': 'sign-in: no tenant rows',
  'app/api/auth/token/route.ts': 'the operator\'s admin token: no tenant rows',
  'app/api/downloads/[id]/[artifact]/route.ts': "B's upload and dataset download test",
  'app/api/health/route.ts': 'no rows',
  'app/api/jobs/[id]/log/route.ts': "B's upload and dataset download test",
  'app/api/playground/route.ts': 'POST /api/playground row',
  'app/api/search/route.ts': 'searches the public documentation pages: no rows',
  'app/api/search/static/route.ts': 'the public documentation pages\' search index: no rows',
  'app/api/stripe/webhook/route.ts': "Stripe's signed events: no caller, the organization comes from the signed event (tests/e2e/billing/stripe-webhooks.spec.ts)",
  'app/api/trpc/[trpc]/route.ts': 'every procedure above',
  'app/api/uploads/[[...id]]/route.ts': "B's upload and dataset download test",
  'app/v1/[...path]/route.ts': 'unknown /v1 paths: 404 for everyone',
  'app/v1/chat/completions/route.ts': 'POST /v1/chat/completions rows',
  'app/v1/completions/route.ts': 'POST /v1/completions row',
  'app/v1/files/[file]/content/route.ts': 'GET /v1/files/{file}/content rows',
  'app/v1/files/[file]/route.ts': 'GET and DELETE /v1/files/{file} rows',
  'app/v1/files/route.ts': "GET /v1/files lists only the key's own files",
  'app/v1/fine_tuning/jobs/[id]/cancel/route.ts': 'POST /v1/fine_tuning/jobs/{id}/cancel row',
  'app/v1/fine_tuning/jobs/[id]/checkpoints/route.ts': 'GET /v1/fine_tuning/jobs/{id}/checkpoints row',
  'app/v1/fine_tuning/jobs/[id]/events/route.ts': 'GET /v1/fine_tuning/jobs/{id}/events row',
  'app/v1/fine_tuning/jobs/[id]/route.ts': 'GET /v1/fine_tuning/jobs/{id} row',
  'app/v1/fine_tuning/jobs/route.ts': "GET /v1/fine_tuning/jobs lists only the key's own jobs",
  'app/v1/models/[model]/route.ts': 'GET /v1/models/{model} row',
  'app/v1/models/route.ts': "GET /v1/models lists only the key's own and platform models",
  'app/v1/openapi.json/route.ts': 'the API description: public, no rows',
};

/** REST routes addressed at B's rows. */
const rest: { name: string; call: (w: World) => Promise<Response> }[] = [
  {
    name: 'GET /v1/models/{model}',
    call: (w) => getModel(new Request(`http://lathe.test/v1/models/${w.b_.modelName}`, { headers: { authorization: `Bearer ${w.aKey}` } }), { params: Promise.resolve({ model: w.b_.modelName }) }),
  },
  { name: 'POST /v1/chat/completions (ft model)', call: (w) => chatCompletions(generationRequest(w, 'chat/completions', w.b_.tunedName), { params: Promise.resolve({}) }) },
  { name: 'POST /v1/chat/completions (alias)', call: (w) => chatCompletions(generationRequest(w, 'chat/completions', w.b_.aliasName), { params: Promise.resolve({}) }) },
  { name: 'POST /v1/chat/completions (base model)', call: (w) => chatCompletions(generationRequest(w, 'chat/completions', w.b_.modelName), { params: Promise.resolve({}) }) },
  { name: 'POST /api/playground (ft model, key)', call: (w) => playgroundChat(generationRequest(w, 'chat/completions', w.b_.tunedName)) },
  { name: 'POST /v1/completions (ft model)', call: (w) => completions(generationRequest(w, 'completions', w.b_.tunedName), { params: Promise.resolve({}) }) },
  { name: 'GET /v1/files/{file}', call: (w) => getFile(fileRequest(w, ''), { params: Promise.resolve({ file: `file-${w.b_.datasetId}` }) }) },
  { name: 'DELETE /v1/files/{file}', call: (w) => deleteFile(fileRequest(w, '', 'DELETE'), { params: Promise.resolve({ file: `file-${w.b_.datasetId}` }) }) },
  { name: 'GET /v1/files/{file}/content', call: (w) => getFileContent(fileRequest(w, '/content'), { params: Promise.resolve({ file: `file-${w.b_.datasetId}` }) }) },
  { name: 'GET /v1/files/{result file}', call: (w) => getFile(fileRequest(w, '', 'GET', w.b_.resultFileId), { params: Promise.resolve({ file: w.b_.resultFileId }) }) },
  { name: 'DELETE /v1/files/{result file}', call: (w) => deleteFile(fileRequest(w, '', 'DELETE', w.b_.resultFileId), { params: Promise.resolve({ file: w.b_.resultFileId }) }) },
  { name: 'GET /v1/files/{result file}/content', call: (w) => getFileContent(fileRequest(w, '/content', 'GET', w.b_.resultFileId), { params: Promise.resolve({ file: w.b_.resultFileId }) }) },
  { name: 'GET /v1/fine_tuning/jobs/{id}', call: (w) => getJob(jobRequest(w, ''), { params: Promise.resolve({ id: `ftjob-${w.b_.jobId}` }) }) },
  { name: 'GET /v1/fine_tuning/jobs/{id}/events', call: (w) => getJobEvents(jobRequest(w, '/events'), { params: Promise.resolve({ id: `ftjob-${w.b_.jobId}` }) }) },
  { name: 'GET /v1/fine_tuning/jobs/{id}/checkpoints', call: (w) => getJobCheckpoints(jobRequest(w, '/checkpoints'), { params: Promise.resolve({ id: `ftjob-${w.b_.jobId}` }) }) },
  { name: 'POST /v1/fine_tuning/jobs/{id}/cancel', call: (w) => cancelJob(jobRequest(w, '/cancel', 'POST'), { params: Promise.resolve({ id: `ftjob-${w.b_.jobId}` }) }) },
];

function jobRequest(w: World, suffix: string, method = 'GET') {
  return new Request(`http://lathe.test/v1/fine_tuning/jobs/ftjob-${w.b_.jobId}${suffix}`, { method, headers: { authorization: `Bearer ${w.aKey}` } });
}

function generationRequest(w: World, path: 'chat/completions' | 'completions', model: string) {
  const body = path === 'completions' ? { model, prompt: 'hi', max_tokens: 1 } : { model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 1 };
  return new Request(`http://lathe.test/v1/${path}`, { method: 'POST', headers: { authorization: `Bearer ${w.aKey}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

function fileRequest(w: World, suffix: string, method = 'GET', fileId = `file-${w.b_.datasetId}`) {
  return new Request(`http://lathe.test/v1/files/${fileId}${suffix}`, { method, headers: { authorization: `Bearer ${w.aKey}` } });
}

function bIdentifiers(w: World) {
  return [w.b.organization.id, w.b_.apiKeyId, w.b_.membershipId, w.b_.invitationId, w.b_.projectId, w.b_.modelName, w.b_.modelId, w.b_.ledgerEntryId, w.b.email, w.b_.datasetId, w.b_.tunedId, w.b_.tunedName, w.b_.aliasId, w.b_.aliasName, w.b_.webhookId, w.b_.webhookUrl, w.b_.presetId, w.b_.presetName, w.b_.evalSetId, w.b_.evalRunId];
}

describe('cross-tenant isolation', () => {
  const actors = (asKey?: boolean) => (asKey ? (['user', 'key'] as const) : (['user'] as const));
  const callerAs = async (actor: 'user' | 'key') => (actor === 'user' ? callerFor(world.a) : callerForKey(world.aKey));

  it.each(byId.flatMap((c) => actors(c.asKey).map((actor) => ({ ...c, actor }))))(
    '$name on a row of another organization is NOT_FOUND ($actor)',
    async ({ call, actor }) => {
      const error = await call(await callerAs(actor), world).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TRPCError);
      expect((error as TRPCError).code).toBe('NOT_FOUND');
    },
  );

  it.each(lists.flatMap((c) => actors(c.asKey).map((actor) => ({ ...c, actor }))))(
    "$name never shows another organization's rows ($actor)",
    async ({ call, actor }) => {
      const text = JSON.stringify(await call(await callerAs(actor)));
      for (const id of bIdentifiers(world)) expect(text).not.toContain(id);
    },
  );

  it('refuses to act in a project of another organization named by header', async () => {
    const error = await callerFor(world.a, { requestedProjectId: world.b_.projectId, projectExplicit: true }).apiKey.list().catch((e: unknown) => e);
    expect((error as TRPCError).code).toBe('NOT_FOUND');
  });

  describe.each(rest)('$name', ({ call }) => {
    it('answers 404 in OpenAI\'s error shape, typed by the error catalogue', async () => {
      const res = await call(world);
      expect(res.status).toBe(404);
      const { error } = (await res.json()) as { error: { type: string; code: string | null } };
      expect(error.type).toBe(describeError('NOT_FOUND', error.code).type);
    });
  });

  it('GET /v1/models lists only the key\'s own and platform models', async () => {
    const res = await listModels(new Request('http://lathe.test/v1/models', { headers: { authorization: `Bearer ${world.aKey}` } }), { params: Promise.resolve({}) });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { data: { id: string }[] };
    expect(body.data.map((m) => m.id)).not.toContain(world.b_.modelName);
  });

  it("GET /v1/files lists only the key's own files", async () => {
    const res = await listFiles(new Request('http://lathe.test/v1/files', { headers: { authorization: `Bearer ${world.aKey}` } }), { params: Promise.resolve({}) });
    expect(res.status).toBe(200);
    const text = JSON.stringify(await res.json());
    expect(text).not.toContain(world.b_.datasetId);
    expect(text).not.toContain(world.b_.resultFileId);
  });

  it("B's upload and dataset download are not found for A's key", async () => {
    const tus = { 'tus-resumable': '1.0.0', authorization: `Bearer ${world.aKey}` };
    expect((await headUpload(new Request(world.b_.uploadUrl, { method: 'HEAD', headers: tus }))).status).toBe(404);
    const patch = new Request(world.b_.uploadUrl, { method: 'PATCH', headers: { ...tus, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' }, body: '0123456789' });
    expect((await patchUpload(patch)).status).toBe(404);
    const download = await downloadDataset(new Request(`http://lathe.test/datasets/${world.b_.datasetId}/download`, { headers: { authorization: `Bearer ${world.aKey}` } }), { params: Promise.resolve({ id: world.b_.datasetId }) });
    expect(download.status).toBe(404);
    const log = await downloadJobLog(new Request(`http://lathe.test/api/jobs/${world.b_.jobId}/log`, { headers: { authorization: `Bearer ${world.aKey}` } }), { params: Promise.resolve({ id: world.b_.jobId }) });
    expect(log.status).toBe(404);
    for (const artifact of ['adapter.zip', 'adapter.gguf', 'merged.gguf', 'merged-hf.zip']) {
      const res = await downloadModel(new Request(`http://lathe.test/api/downloads/${world.b_.tunedId}/${artifact}`, { headers: { authorization: `Bearer ${world.aKey}` } }), {
        params: Promise.resolve({ id: world.b_.tunedId, artifact }),
      });
      expect(res.status).toBe(404);
    }
  });

  it("sets and removes only its own organization's Hub token, and reads no organization's limits unless a platform administrator", async () => {
    const caller = callerFor(world.a);
    expect(await caller.organization.hubToken.get()).toMatchObject({ configured: false });
    await caller.organization.hubToken.delete();
    expect(await getDb().organizationHubToken.count({ where: { organizationId: world.b.organization.id } })).toBe(1);
    for (const call of [() => caller.admin.quotas.get({ organizationId: world.b.organization.id }), () => caller.admin.quotas.set({ organizationId: world.b.organization.id, storageBytes: 1 })]) {
      expect(((await call().catch((e: unknown) => e)) as TRPCError).code).toBe('FORBIDDEN');
    }
    expect(await getDb().organizationQuota.count({ where: { organizationId: world.b.organization.id } })).toBe(0);
  });

  it("socket.io: an API key follows only its own project's jobs, and a wrong key is refused at the handshake", async () => {
    const server = http.createServer();
    const sockets = new SocketServer(server, { path: '/socket.io', serveClient: false });
    sockets.use(authenticateSocket({ db: getDb(), secret: 'test-secret' }));
    const fanout = startJobFanout({ io: sockets, db: getDb(), databaseUrl: process.env.DATABASE_URL! });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const connect = (token: string) => connectSocket(url, { path: '/socket.io', auth: { token }, transports: ['websocket'], reconnection: false });
    try {
      const a = connect(world.aKey);
      await new Promise<void>((resolve, reject) => (a.on('connect', resolve), a.on('connect_error', reject)));
      const ack = await new Promise<{ ok: boolean; error?: string }>((resolve) => a.emit('job:subscribe', world.b_.jobId, resolve));
      expect(ack).toEqual({ ok: false, error: 'not_found' });
      a.disconnect();
      const wrong = connect('lk_not-a-key');
      const refused = await new Promise<Error>((resolve) => wrong.on('connect_error', resolve));
      expect(refused.message).toBe('unauthorized');
      wrong.disconnect();
    } finally {
      await fanout.stop();
      await sockets.close();
    }
  });

  it("GET /v1/fine_tuning/jobs lists only the key's own jobs", async () => {
    const res = await listJobs(new Request('http://lathe.test/v1/fine_tuning/jobs', { headers: { authorization: `Bearer ${world.aKey}` } }), { params: Promise.resolve({}) });
    expect(res.status).toBe(200);
    expect(JSON.stringify(await res.json())).not.toContain(world.b_.jobId);
  });

  it('has a row for every tRPC procedure, or says why it addresses no row of another organization', () => {
    const covered = new Set([...byId, ...lists].map((c) => c.name.replace(/ \(.*\)$/, '')));
    const missing = Object.keys(appRouter._def.procedures).filter((name) => !covered.has(name) && !(name in NOT_ADDRESSED));
    expect(missing).toEqual([]);
    for (const name of Object.keys(NOT_ADDRESSED)) expect(appRouter._def.procedures, name).toHaveProperty([name]);
  });

  it('has a row for every route, or says why it addresses no row of another organization', () => {
    const routes = (fs.readdirSync('app', { recursive: true }) as string[]).filter((file) => /^route\.tsx?$/.test(path.basename(file))).map((file) => `app/${file.split(path.sep).join('/')}`);
    expect(routes.length).toBeGreaterThan(15);
    expect(routes.filter((route) => !(route in ROUTES))).toEqual([]);
  });

  it("B's rows were left untouched by A's attempts", async () => {
    const db = getDb();
    expect((await db.apiKey.findUniqueOrThrow({ where: { id: world.b_.apiKeyId } })).revokedAt).toBeNull();
    expect((await db.membership.findUniqueOrThrow({ where: { id: world.b_.membershipId } })).role).toBe('OWNER');
    expect((await db.invitation.findUniqueOrThrow({ where: { id: world.b_.invitationId } })).revokedAt).toBeNull();
    expect(await db.dataset.findUnique({ where: { id: world.b_.datasetId } })).not.toBeNull();
    expect((await db.modelAlias.findUniqueOrThrow({ where: { id: world.b_.aliasId } })).target).toBe(world.b_.tunedName);
    expect(await db.deployment.count({ where: { baseModelId: world.b_.modelId } })).toBe(0);
    expect((await db.trainingJob.findUniqueOrThrow({ where: { id: world.b_.jobId } })).status).toBe('succeeded');
    expect(await db.webhookEndpoint.findUniqueOrThrow({ where: { id: world.b_.webhookId }, omit: { previousSecretCiphertext: false } })).toMatchObject({ enabled: true, url: world.b_.webhookUrl, previousSecretCiphertext: null });
    expect(await db.webhookDelivery.count({ where: { endpointId: world.b_.webhookId } })).toBe(0);
    expect(await db.evalRun.count({ where: { evalSetId: world.b_.evalSetId } })).toBe(1);
    expect(await db.playgroundPreset.findUniqueOrThrow({ where: { id: world.b_.presetId } })).toMatchObject({ name: world.b_.presetName, shared: true });
  });
});
