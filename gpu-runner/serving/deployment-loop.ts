// The runner's serving side: claims REQUESTED deployments (one row at a time, SKIP LOCKED, so
// runners never claim the same one), materializes the base model's GGUF from the artifact store,
// starts an inference server for it as a child process (restarted by its supervisor when it
// crashes), registers the adapter of every fine-tuned model of that base and keeps them in sync,
// and publishes the endpoint (READY) or the reason it could not (FAILED). A deployment marked
// STOPPED is torn down; on shutdown this runner hands its deployments back (REQUESTED).
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import type { Db } from '@/server/db';
import type { Logger } from '@/server/logger';
import type { ArtifactStore } from '@/server/services/artifacts/create-artifact-store';
import { materializeFolder, type StoredFolder } from '@/server/services/artifacts/folders';
import { materializeModelFolder, parseModelArtifacts } from '@/server/services/model-registry/model-artifacts';
import { reapLapsedDeployments } from '@/server/services/serving/deployments';
import { ADAPTER_CHANNEL, parseAdapterRequest, type AdapterRequest } from '@/server/services/serving/adapter-requests';
import { runConversion } from '@/server/services/model-format/convert/run-conversion';
import { startInferenceServer, type InferenceServerHandle, type StartInferenceServerOptions } from '@/gpu-runner/inference/supervisor';

export type ServingLoopOptions = {
  db: Db;
  databaseUrl: string;
  store: ArtifactStore;
  runnerId: string;
  /** This runner's own scratch folder (checkpoint conversions). */
  workRoot: string;
  /** Shared by the runners of a host: base and adapter GGUFs by content hash. */
  cacheDir: string;
  log: Logger;
  /** The internal token every inference server requires; the web app sends it. */
  token: string;
  /** The host name the web app reaches this runner's servers at. */
  advertiseHost: string;
  /** The address the servers listen on. */
  bindHost: string;
  maxDeployments: number;
  lapseMs: number;
  pollMs?: number;
  syncMs?: number;
  server?: Pick<StartInferenceServerOptions, 'threads' | 'concurrency' | 'maxContexts' | 'contextSize' | 'gpu' | 'startTimeoutMs'>;
};

type LocalDeployment = {
  id: string;
  baseModelId: string;
  baseName: string;
  baseArtifacts: unknown;
  handle: InferenceServerHandle | null;
  /** Registered adapters: name → GGUF sha256. */
  fineTuned: Map<string, string>;
  checkpoints: Set<string>;
  /** When registering a fine-tuned model's adapter failed, so it is not retried on every sync. */
  failed: Map<string, number>;
  hfDir: Promise<string> | null;
  syncing: Promise<void> | null;
  stopping: boolean;
};

export type ServingLoop = { stop: () => Promise<void>; deployments: () => Array<{ id: string; model: string; endpoint: string | null; adapters: number }> };

const RETRY_FAILED_ADAPTER_MS = 60_000;
const INITIAL_SYNC_MS = 30_000;
/** A load that has not produced a server by then is given up (the supervisor's own start limit is 180 s). */
const LOAD_TIMEOUT_MS = 240_000;

export function startServingLoop(options: ServingLoopOptions): ServingLoop {
  const { db, store, runnerId, log } = options;
  const local = new Map<string, LocalDeployment>();
  /** Claimed, row not read yet: counted against maxDeployments. */
  const claiming = new Set<string>();
  const inflightAdapters = new Map<string, Promise<void>>();
  let stopped = false;
  let lastSync = 0;
  let lastReap = 0;
  let ticking: Promise<void> | null = null;

  const modelsDir = path.join(options.cacheDir, 'models');
  const adaptersDir = path.join(options.cacheDir, 'adapters');

  /** A stored file at a stable cached path (hardlinked or downloaded once, atomically). */
  async function cached(dir: string, sha256: string): Promise<string> {
    const file = path.join(dir, `${sha256}.gguf`);
    if (!existsSync(file)) await store.materialize(sha256, file);
    return file;
  }

  const endpointOf = (handle: InferenceServerHandle) => `http://${options.advertiseHost}:${handle.port}`;

  async function markFailed(id: string, message: string) {
    await db.deployment.updateMany({ where: { id, runnerId, status: { in: ['LOADING', 'READY'] } }, data: { status: 'FAILED', error: message.slice(0, 2000), endpoint: null } });
  }

  async function teardown(deployment: LocalDeployment) {
    if (deployment.stopping) return;
    deployment.stopping = true;
    if (local.get(deployment.id) === deployment) local.delete(deployment.id);
    await deployment.handle?.stop().catch((error: unknown) => log.warn({ err: error, deploymentId: deployment.id }, 'stopping an inference server failed'));
    log.info({ deploymentId: deployment.id, model: deployment.baseName }, 'deployment stopped');
  }

  async function registerFineTuned(deployment: LocalDeployment) {
    const handle = deployment.handle;
    if (!handle) return;
    const tuned = await db.fineTunedModel.findMany({ where: { baseModelId: deployment.baseModelId }, select: { name: true, artifacts: true } });
    const wanted = new Map<string, string>();
    for (const model of tuned) {
      const sha = (model.artifacts as { gguf?: { sha256?: string } } | null)?.gguf?.sha256;
      if (sha) wanted.set(model.name, sha);
    }
    for (const [name, sha] of wanted) {
      if (deployment.fineTuned.get(name) === sha) continue;
      const failedAt = deployment.failed.get(`${name}@${sha}`);
      if (failedAt && Date.now() - failedAt < RETRY_FAILED_ADAPTER_MS) continue;
      try {
        await handle.registerAdapter(name, await cached(adaptersDir, sha));
        deployment.fineTuned.set(name, sha);
      } catch (error) {
        deployment.failed.set(`${name}@${sha}`, Date.now());
        log.warn({ err: error, deploymentId: deployment.id, adapter: name }, 'registering an adapter failed');
      }
    }
    for (const name of [...deployment.fineTuned.keys()]) {
      if (wanted.has(name)) continue;
      deployment.fineTuned.delete(name);
      await handle.removeAdapter(name).catch(() => undefined);
    }
  }

  function syncAdapters(deployment: LocalDeployment): Promise<void> {
    deployment.syncing ??= registerFineTuned(deployment).finally(() => {
      deployment.syncing = null;
    });
    return deployment.syncing;
  }

  async function load(id: string) {
    const row = await db.deployment.findUnique({ where: { id }, include: { baseModel: { select: { id: true, name: true, artifacts: true } } } }).finally(() => claiming.delete(id));
    if (!row) return;
    if (stopped) {
      await db.deployment.updateMany({ where: { id, runnerId, status: 'LOADING' }, data: { status: 'REQUESTED', runnerId: null } });
      return;
    }
    // Claimed again (it was handed back and this runner took it anew) while an earlier load or
    // server of it is still here: that one goes, and only this load writes the row.
    const previous = local.get(id);
    if (previous) await teardown(previous);
    const deployment: LocalDeployment = {
      id,
      baseModelId: row.baseModelId,
      baseName: row.baseModel.name,
      baseArtifacts: row.baseModel.artifacts,
      handle: null,
      fineTuned: new Map(),
      checkpoints: new Set(),
      failed: new Map(),
      hfDir: null,
      syncing: null,
      stopping: false,
    };
    local.set(id, deployment);
    let timer: NodeJS.Timeout | undefined;
    try {
      const { gguf } = parseModelArtifacts(row.baseModel.artifacts);
      const starting = (async () => {
        const modelGguf = await cached(modelsDir, gguf.sha256);
        return startInferenceServer({
          ...options.server,
          modelGguf,
          name: row.baseModel.name,
          token: options.token,
          host: options.bindHost,
          onLog: (line) => log.debug({ deploymentId: id, line }, 'inference server'),
        });
      })();
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the inference server did not start within ${LOAD_TIMEOUT_MS / 1000} s`)), LOAD_TIMEOUT_MS);
      });
      // A server that comes up after the deadline is not left running.
      starting.then(
        (late) => {
          if (deployment.handle !== late && (deployment.stopping || local.get(id) !== deployment)) void late.stop();
        },
        () => undefined,
      );
      const handle = await Promise.race([starting, timeout]);
      clearTimeout(timer);
      deployment.handle = handle;
      handle.on('crash', ({ exitCode, signal, output }) => log.warn({ deploymentId: id, exitCode, signal, output: output.split('\n').slice(-5).join(' | ') }, 'inference server crashed; restarting'));
      handle.on('ready', () => {
        // A restart may have had to move to another port.
        void db.deployment.updateMany({ where: { id, runnerId, status: 'READY' }, data: { endpoint: endpointOf(handle) } }).catch(() => undefined);
      });
      handle.on('failed', (error: Error) => {
        void markFailed(id, `The inference server kept crashing: ${error.message}`).then(() => teardown(deployment));
      });
      // Torn down while it loaded: whoever tore it down has settled the row.
      if (deployment.stopping) return void (await handle.stop());
      // The fine-tunes known now are there from the start; a slow one is left to later syncs.
      await Promise.race([syncAdapters(deployment).catch(() => undefined), new Promise((resolve) => setTimeout(resolve, INITIAL_SYNC_MS).unref())]);
      if (deployment.stopping) return;
      const { count } = await db.deployment.updateMany({ where: { id, runnerId, status: 'LOADING' }, data: { status: 'READY', endpoint: endpointOf(handle), error: null } });
      if (count !== 1) {
        await teardown(deployment);
        return;
      }
      log.info({ deploymentId: id, model: row.baseModel.name, endpoint: endpointOf(handle), adapters: deployment.fineTuned.size }, 'deployment ready');
    } catch (error) {
      clearTimeout(timer);
      const message = error instanceof Error ? `${error.message}${'code' in error && typeof error.code === 'string' ? ` (${error.code})` : ''}` : String(error);
      log.warn({ err: error, deploymentId: id }, 'deployment failed');
      await markFailed(id, message).catch(() => undefined);
      await teardown(deployment);
    }
  }

  async function claim(): Promise<string | null> {
    const rows = await db.$queryRawUnsafe<{ id: string }[]>(
      `UPDATE "Deployment" SET "status" = 'LOADING', "runnerId" = $1, "error" = NULL, "endpoint" = NULL, "updatedAt" = now()
       WHERE "id" = (SELECT "id" FROM "Deployment" WHERE "status" = 'REQUESTED' ORDER BY "createdAt" LIMIT 1 FOR UPDATE SKIP LOCKED)
       RETURNING "id"`,
      runnerId,
    );
    return rows[0]?.id ?? null;
  }

  async function tick() {
    const now = Date.now();
    if (now - lastReap > Math.min(10_000, options.lapseMs / 3)) {
      lastReap = now;
      const reaped = await reapLapsedDeployments({ db, lapseMs: options.lapseMs });
      if (reaped) log.info({ reaped }, 'requeued deployments of runners that stopped heartbeating');
    }
    while (!stopped && local.size + claiming.size < options.maxDeployments) {
      const id = await claim();
      if (!id) break;
      log.info({ deploymentId: id }, 'claimed a deployment');
      claiming.add(id);
      void load(id).catch((error: unknown) => log.warn({ err: error, deploymentId: id }, 'loading a deployment failed'));
    }
    if (local.size === 0) return;
    const rows = await db.deployment.findMany({ where: { id: { in: [...local.keys()] } }, select: { id: true, status: true, runnerId: true } });
    const current = new Map(rows.map((r) => [r.id, r]));
    for (const deployment of [...local.values()]) {
      const row = current.get(deployment.id);
      // Undeployed, deleted with its model, or handed to another runner while this one was away.
      if (!row || row.runnerId !== runnerId || row.status === 'STOPPED' || row.status === 'FAILED' || row.status === 'REQUESTED') await teardown(deployment);
    }
    if (now - lastSync >= (options.syncMs ?? 3000)) {
      lastSync = now;
      // Not awaited: a slow server must not hold up claims and teardowns of the others.
      for (const deployment of local.values()) {
        if (deployment.handle?.state === 'ready') void syncAdapters(deployment).catch((error: unknown) => log.warn({ err: error, deploymentId: deployment.id }, 'syncing adapters failed'));
      }
    }
  }

  async function checkpointAdapter(deployment: LocalDeployment, request: AdapterRequest) {
    const handle = deployment.handle;
    if (!handle || deployment.checkpoints.has(request.name)) return;
    const checkpoint = await db.checkpoint.findUnique({ where: { id: request.id }, include: { job: { select: { baseModelId: true } } } });
    if (!checkpoint || checkpoint.job.baseModelId !== deployment.baseModelId) return;
    const artifacts = (checkpoint.artifacts ?? {}) as { files?: StoredFolder; gguf?: { sha256: string; size: number } };
    let gguf = artifacts.gguf;
    if (!gguf) {
      const files = Object.fromEntries(Object.entries(artifacts.files ?? {}).filter(([name]) => name.startsWith('adapter_')));
      await mkdir(options.workRoot, { recursive: true });
      const work = await mkdtemp(path.join(options.workRoot, 'checkpoint-'));
      try {
        const adapterDir = await materializeFolder(store, files, path.join(work, 'adapter'));
        deployment.hfDir ??= materializeModelFolder({ store, artifacts: deployment.baseArtifacts, destDir: path.join(options.workRoot, `base-${deployment.id}`) }).then((r) => r.dir);
        const outFile = path.join(work, 'adapter.gguf');
        await runConversion({ kind: 'adapter', baseModelDir: await deployment.hfDir, adapterDir, outFile, name: request.name });
        const ref = await store.put(outFile);
        gguf = { sha256: ref.sha256, size: ref.size };
        // Converted once: the next runner (or restart) materializes the stored GGUF.
        await db.checkpoint.update({ where: { id: checkpoint.id }, data: { artifacts: { ...artifacts, gguf } } });
        log.info({ deploymentId: deployment.id, checkpoint: request.name }, 'converted a checkpoint adapter to GGUF');
      } finally {
        await rm(work, { recursive: true, force: true });
      }
    }
    await handle.registerAdapter(request.name, await cached(adaptersDir, gguf.sha256));
    deployment.checkpoints.add(request.name);
  }

  function onAdapterRequest(request: AdapterRequest) {
    const deployment = local.get(request.deploymentId);
    if (!deployment || deployment.handle?.state !== 'ready') return;
    const key = `${request.deploymentId}:${request.name}`;
    if (inflightAdapters.has(key)) return;
    const work = (request.kind === 'fine-tuned' ? syncAdapters(deployment) : checkpointAdapter(deployment, request))
      .catch((error: unknown) => log.warn({ err: error, deploymentId: request.deploymentId, adapter: request.name }, 'loading an adapter on request failed'))
      .finally(() => inflightAdapters.delete(key));
    inflightAdapters.set(key, work);
  }

  let listener: pg.Client | null = null;
  let retryMs = 500;
  const listen = async () => {
    if (stopped) return;
    const client = new pg.Client({ connectionString: options.databaseUrl });
    client.on('error', (error) => log.warn({ err: error }, 'serving notification connection error'));
    client.on('end', () => {
      if (listener === client) listener = null;
      if (!stopped) setTimeout(() => void listen(), retryMs).unref();
    });
    client.on('notification', (message) => {
      if (message.channel !== ADAPTER_CHANNEL) return;
      const request = parseAdapterRequest(message.payload);
      if (request) onAdapterRequest(request);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${ADAPTER_CHANNEL}`);
      listener = client;
      retryMs = 500;
    } catch (error) {
      log.warn({ err: error }, 'could not listen for adapter requests; retrying');
      retryMs = Math.min(10_000, retryMs * 2);
      await client.end().catch(() => undefined);
    }
  };
  void listen();

  const timer = setInterval(() => {
    if (ticking || stopped) return;
    ticking = tick()
      .catch((error: unknown) => log.warn({ err: error }, 'serving loop tick failed'))
      .finally(() => {
        ticking = null;
      });
  }, options.pollMs ?? 500);

  return {
    deployments: () =>
      [...local.values()].map((d) => ({ id: d.id, model: d.baseName, endpoint: d.handle ? endpointOf(d.handle) : null, adapters: d.fineTuned.size + d.checkpoints.size })),
    async stop() {
      stopped = true;
      clearInterval(timer);
      await ticking;
      const ids = [...local.keys(), ...claiming];
      await Promise.all([...local.values()].map((d) => teardown(d)));
      // Another runner (or this one, restarted) serves them next.
      if (ids.length) await db.deployment.updateMany({ where: { id: { in: ids }, runnerId, status: { in: ['LOADING', 'READY'] } }, data: { status: 'REQUESTED', runnerId: null, endpoint: null } }).catch(() => undefined);
      const client = listener;
      listener = null;
      await client?.end().catch(() => undefined);
    },
  };
}
