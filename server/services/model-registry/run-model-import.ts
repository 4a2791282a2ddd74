import { readdir, rm, stat, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { checkGgufLoads } from '@/server/services/model-format/convert/check-gguf-loads';
import { runConversion } from '@/server/services/model-format/convert/run-conversion';
import { getDb, type Db } from '@/server/db';
import type { BaseModel, ModelStatus, Prisma } from '@/server/generated/prisma/client';
import { ArtifactError, artifactStoreConfigFromEnv, createArtifactStore, type ArtifactStore } from '@/server/services/artifacts/create-artifact-store';
import { recordAudit } from '@/server/services/audit/record-audit';
import { ModelError } from '@/server/services/model-format/errors';
import { inspectGguf, readGgufHeader } from '@/server/services/model-format/gguf';
import { downloadHfRepo, isModelFile, type DownloadHfRepoOptions } from '@/server/services/hub/download-hf-repo';
import { LatheError } from '@/server/services/errors';
import { hubTokenFor } from '@/server/services/orgs/hub-token';
import { assertStorageFor } from '@/server/services/quotas/enforce-quotas';
import { inspectHfFolder } from '@/server/services/model-format/inspect-model';
import { stageImportFiles, type StagedFile } from './import-root';
import { safeRelativePath, type TModelArtifacts, type TStoredFile } from './model-artifacts';

export type ImportingStatus = Extract<ModelStatus, 'DOWNLOADING' | 'CONVERTING'>;

export interface ModelImportProgress {
  status: ImportingStatus;
  /** 0..1 within the current status. */
  progress: number;
  step: 'download' | 'store' | 'convert' | 'check';
  bytes?: number;
  totalBytes?: number;
}

export interface RunModelImportOptions {
  db?: Db;
  store?: ArtifactStore;
  /** Hugging Face Hub base URL; default HF_ENDPOINT or the public Hub. */
  hubUrl?: string;
  /** Scratch space for downloads and the GGUF being written; default LATHE_DATA_DIR/tmp/model-import. */
  workRoot?: string;
  onProgress?: (progress: ModelImportProgress) => void;
  signal?: AbortSignal;
  /**
   * When the signal aborts, leave the row in its state and throw, so that a queue retries the
   * import later (resuming a Hub download); by default an abort ends the import FAILED.
   */
  retryWhenAborted?: boolean;
  /** Retry policy of Hub downloads (see downloadHfRepo). */
  download?: Pick<DownloadHfRepoOptions, 'maxRetries' | 'retryDelayMs'>;
  /** Least time between two progress writes to the row (default 500 ms). */
  progressIntervalMs?: number;
}

export type ModelImportOutcome =
  | { status: 'READY'; model: BaseModel }
  | { status: 'FAILED'; code: string; error: string }
  /** Nothing to do: the row is gone, or already READY or FAILED (a repeated delivery of the job). */
  | { status: 'SKIPPED'; reason: string };

// Below this size the GGUF is written in F32 so tiny models convert exactly; above it F16 halves the file.
const F32_PARAMETER_LIMIT = 50_000_000;

interface CompletedImport {
  artifacts: TModelArtifacts;
  data: Pick<Prisma.BaseModelUpdateInput, 'architecture' | 'family' | 'parameters' | 'contextLength' | 'chatTemplate' | 'license' | 'sizeBytes'>;
  details: Record<string, unknown>;
}

/**
 * Imports one requested base model: REQUESTED → DOWNLOADING (Hub only) → CONVERTING → READY, or
 * FAILED with the reason. Every file is put in the artifact store, the GGUF is written and test-
 * loaded by llama.cpp in child processes, and the row turns READY only once every artifact is
 * stored and verified. Failures of the model itself never throw: they become a FAILED row. Only
 * an unreachable database throws (so the queue retries).
 */
export async function runModelImport(modelId: string, options: RunModelImportOptions = {}): Promise<ModelImportOutcome> {
  const db = options.db ?? getDb();
  const model = await db.baseModel.findUnique({ where: { id: modelId } });
  if (!model) return { status: 'SKIPPED', reason: 'the model no longer exists' };
  if (model.status === 'READY' || model.status === 'FAILED') return { status: 'SKIPPED', reason: `the model is already ${model.status}` };

  const store = options.store ?? createArtifactStore(artifactStoreConfigFromEnv());
  const workRoot = options.workRoot ?? path.join(process.env.LATHE_DATA_DIR || path.resolve('.lathe'), 'tmp', 'model-import');
  // One folder per model: a retried job resumes a Hub download from its .part files.
  const workDir = path.join(workRoot, model.id);
  const baseDetails = pickBaseDetails(model.details);
  let keepWorkDir = false;
  const progress = new ProgressWriter(db, model.id, baseDetails, options.progressIntervalMs ?? 500, options.onProgress);
  try {
    let completed: CompletedImport;
    if (model.source === 'GGUF') {
      await progress.enter('CONVERTING');
      const [staged] = await stageFromDisk(db, model, 'file', { store, progress });
      const file = path.join(workDir, 'source.gguf');
      await mkdir(workDir, { recursive: true });
      await store.materialize(staged!.sha256, file);
      completed = await importGguf(file, { store, progress, signal: options.signal }, staged);
    } else if (model.source === 'FOLDER') {
      await progress.enter('CONVERTING');
      const staged = await stageFromDisk(db, model, 'folder', { store, progress });
      const dir = path.join(workDir, 'source');
      // Even with no model file in it, so the inspection names what is missing.
      await mkdir(dir, { recursive: true });
      for (const file of staged) await store.materialize(file.sha256, path.join(dir, ...safeRelativePath(file.relative).split('/')));
      completed = await importHfFolder(dir, { name: model.name, workDir, store, progress, signal: options.signal }, staged);
    } else {
      let dir = requireRef(model);
      if (model.source === 'HUGGING_FACE') {
        await progress.enter('DOWNLOADING');
        dir = path.join(workDir, 'hf');
        const download = await downloadHfRepo({
          repo: requireRef(model),
          revision: typeof baseDetails.revision === 'string' ? baseDetails.revision : undefined,
          destDir: dir,
          hubUrl: options.hubUrl,
          token: await hubTokenOf(db, model),
          beforeDownload: (_files, totalBytes) => reserveStorage(db, model, totalBytes, 'the repository'),
          signal: options.signal,
          ...options.download,
          onProgress: (p) => progress.report({ step: 'download', progress: p.totalBytes ? p.bytes / p.totalBytes : 0, bytes: p.bytes, totalBytes: p.totalBytes }),
        });
        baseDetails.commit = download.commit;
      }
      await progress.enter('CONVERTING');
      completed = await importHfFolder(dir, { name: model.name, workDir, store, progress, signal: options.signal });
    }
    await progress.close();
    const ready = await markReady(db, model, completed, baseDetails);
    return ready ? { status: 'READY', model: ready } : { status: 'SKIPPED', reason: 'the model was deleted during its import' };
  } catch (error) {
    await progress.close();
    if (options.retryWhenAborted && options.signal?.aborted) {
      keepWorkDir = true;
      throw new ModelError('aborted', 'the import was interrupted and will be retried', {}, { cause: error });
    }
    const failure = describeFailure(error);
    await markFailed(db, model, failure, { ...baseDetails, failure: { code: failure.code, stage: progress.status } });
    return { status: 'FAILED', ...failure };
  } finally {
    if (!keepWorkDir) await rm(workDir, { recursive: true, force: true });
  }
}

/**
 * Copies a folder or GGUF from the server's disk into the artifact store through checked handles,
 * under the import root recorded with the request; the import then works on that copy only.
 */
async function stageFromDisk(db: Db, model: BaseModel, kind: 'folder' | 'file', ctx: Pick<StepContext, 'store' | 'progress'>) {
  const details = (model.details ?? {}) as { importRoot?: string | null };
  // Rows requested before roots were recorded were checked against the whole root.
  const root = details.importRoot !== undefined ? details.importRoot : process.env.LATHE_IMPORT_ROOT ? path.resolve(process.env.LATHE_IMPORT_ROOT) : null;
  return stageImportFiles({
    root,
    sourceRef: requireRef(model),
    kind,
    store: ctx.store,
    beforeCopy: (_files, totalBytes) => reserveStorage(db, model, totalBytes, kind === 'folder' ? 'the folder' : 'the file'),
    onFile: (done, total) => ctx.progress.report({ step: 'store', progress: 0.2 * (done / Math.max(1, total)), bytes: done, totalBytes: total }),
  });
}

/**
 * Holds `bytes` of the organization's storage for this import before any is fetched or copied
 * (the row's size until READY sets the real one), or fails the import when they do not fit.
 * Platform-wide models count against no organization.
 */
async function reserveStorage(db: Db, model: BaseModel, bytes: number, what: string): Promise<void> {
  const organizationId = model.organizationId;
  if (!organizationId) return;
  try {
    await db.$transaction(async (tx) => {
      await assertStorageFor(tx, organizationId, bytes, `Importing ${what} of ${model.name}`, { excludeModelId: model.id });
      await tx.baseModel.updateMany({ where: { id: model.id }, data: { sizeBytes: BigInt(bytes) } });
    });
  } catch (error) {
    if (error instanceof LatheError && error.details.reason === 'storage_quota_exceeded') throw new ModelError('storage_quota_exceeded', error.message, { bytes });
    throw error;
  }
}

/** The organization's own Hub token for its imports; the operator's HF_TOKEN only for platform-wide ones. */
async function hubTokenOf(db: Db, model: BaseModel): Promise<string | undefined> {
  try {
    return await hubTokenFor({ db, organizationId: model.organizationId });
  } catch (error) {
    if (error instanceof LatheError) throw new ModelError('hub_unauthorized', error.message);
    throw error;
  }
}

function requireRef(model: BaseModel): string {
  if (!model.sourceRef) throw new ModelError('invalid_config', 'the model has no source to import from');
  return model.sourceRef;
}

function pickBaseDetails(details: unknown): Record<string, unknown> {
  const d = (details && typeof details === 'object' ? details : {}) as Record<string, unknown>;
  return { ...(typeof d.revision === 'string' ? { revision: d.revision } : {}), ...('importRoot' in d ? { importRoot: d.importRoot } : {}) };
}

interface StepContext {
  store: ArtifactStore;
  progress: ProgressWriter;
  signal?: AbortSignal;
}

/** `staged`: the folder's files already in the store (an import from the server's disk). */
async function importHfFolder(dir: string, ctx: StepContext & { name: string; workDir: string }, staged?: StagedFile[]): Promise<CompletedImport> {
  const inspection = await inspectHfFolder(dir);
  const files = staged ? staged.map((f) => ({ relative: f.relative, size: f.size })) : await listModelFiles(dir);
  const totalBytes = files.reduce((sum, f) => sum + f.size, 0);
  const stored: Record<string, TStoredFile> = Object.fromEntries((staged ?? []).map((f) => [f.relative, { sha256: f.sha256, size: f.size }]));
  let doneBytes = 0;
  for (const file of staged ? [] : (files as Array<{ relative: string; full: string; size: number }>)) {
    throwIfAborted(ctx.signal);
    const ref = await ctx.store.put(file.full);
    stored[file.relative] = { sha256: ref.sha256, size: ref.size };
    doneBytes += ref.size;
    ctx.progress.report({ step: 'store', progress: 0.2 * (doneBytes / Math.max(1, totalBytes)), bytes: doneBytes, totalBytes });
  }

  const type = inspection.parameters < F32_PARAMETER_LIMIT ? 'F32' : 'F16';
  await mkdir(ctx.workDir, { recursive: true });
  const outFile = path.join(ctx.workDir, 'model.gguf');
  await runConversion(
    { kind: 'model', modelDir: dir, outFile, type, name: ctx.name },
    { signal: ctx.signal, onProgress: (p) => ctx.progress.report({ step: 'convert', progress: 0.2 + 0.7 * (p.bytesWritten / Math.max(1, p.bytesTotal)), bytes: p.bytesWritten, totalBytes: p.bytesTotal }) },
  );
  ctx.progress.report({ step: 'check', progress: 0.9 });
  const check = await checkGgufLoads({ modelGguf: outFile });
  if (!check.ok) throw new ModelError(check.code, check.message);
  throwIfAborted(ctx.signal);
  const ggufRef = await ctx.store.put(outFile);
  const gguf = { type, sha256: ggufRef.sha256, size: ggufRef.size } as const;
  await verifyStored(ctx.store, [...Object.entries(stored), ['model.gguf', gguf]]);
  ctx.progress.report({ step: 'check', progress: 1 });

  return {
    artifacts: { hf: { files: stored }, gguf },
    data: {
      architecture: inspection.architecture,
      family: inspection.family,
      parameters: BigInt(inspection.parameters),
      contextLength: inspection.contextLength,
      chatTemplate: inspection.hasChatTemplate,
      license: inspection.license ?? null,
      sizeBytes: BigInt(totalBytes + ggufRef.size),
    },
    details: {
      trainable: inspection.trainingBlocker === null,
      hiddenSize: inspection.hiddenSize,
      ...(inspection.trainingBlocker ? { trainingBlocker: inspection.trainingBlocker } : {}),
      dtype: inspection.dtype,
      tokenizer: inspection.tokenizer,
      ggufArchitecture: inspection.ggufArchitecture,
      ggufType: type,
      hfBytes: totalBytes,
      ggufBytes: ggufRef.size,
      files: files.length,
      vocabularySize: check.vocabularySize,
    },
  };
}

const GGUF_FILE_TYPES: Record<number, TModelArtifacts['gguf']['type']> = { 0: 'F32', 1: 'F16', 7: 'Q8_0' };

/** `staged`: the file already in the store. */
async function importGguf(file: string, ctx: StepContext, staged?: StagedFile): Promise<CompletedImport> {
  const summary = await inspectGguf(file);
  if (summary.type === 'adapter') throw new ModelError('invalid_config', `${path.basename(file)} is a LoRA adapter, not a model: import its base model instead`);
  const type = summary.fileType !== undefined ? GGUF_FILE_TYPES[summary.fileType] : await dominantTensorType(file);
  if (!type) throw new ModelError('unsupported_dtype', `${path.basename(file)} is not an F32, F16 or Q8_0 GGUF, the types Lathe serves; convert it to one of them`);
  ctx.progress.report({ step: 'check', progress: 0.1 });
  const check = await checkGgufLoads({ modelGguf: file });
  if (!check.ok) throw new ModelError(check.code, check.message);
  throwIfAborted(ctx.signal);
  ctx.progress.report({ step: 'store', progress: 0.5 });
  const ref = staged ?? (await ctx.store.put(file));
  const gguf = { type, sha256: ref.sha256, size: ref.size } as const;
  await verifyStored(ctx.store, [['model.gguf', gguf]]);
  ctx.progress.report({ step: 'store', progress: 1 });
  return {
    artifacts: { hf: null, gguf },
    data: {
      architecture: summary.architecture,
      family: summary.architecture,
      parameters: BigInt(summary.parameterCount),
      contextLength: summary.contextLength ?? check.trainContextSize,
      chatTemplate: summary.hasChatTemplate,
      license: summary.license ?? null,
      sizeBytes: BigInt(ref.size),
    },
    details: { trainable: false, ggufArchitecture: summary.architecture, ggufType: type, ggufBytes: ref.size, tokenizer: summary.tokenizerModel, vocabularySize: check.vocabularySize },
  };
}

async function dominantTensorType(file: string): Promise<TModelArtifacts['gguf']['type'] | undefined> {
  const header = await readGgufHeader(file, { keepArraysUpTo: 0 });
  const bytes = new Map<string, number>();
  for (const t of header.tensors) bytes.set(t.type, (bytes.get(t.type) ?? 0) + t.byteLength);
  const top = [...bytes.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  return top === 'F32' || top === 'F16' || top === 'Q8_0' ? top : undefined;
}

/** Every stored artifact is present with the size that was written: the last check before READY. */
async function verifyStored(store: ArtifactStore, entries: Array<[string, TStoredFile]>): Promise<void> {
  for (const [name, file] of entries) {
    const ref = await store.stat(file.sha256);
    if (!ref || ref.size !== file.size) {
      throw new ModelError('checksum_mismatch', `${name} is not in the artifact store as written (${ref ? `${ref.size} bytes` : 'missing'}, expected ${file.size} bytes)`);
    }
  }
}

/** The folder's model files (the same selection a Hub download makes), following symlinks as a Hub cache has them. */
async function listModelFiles(dir: string, prefix = ''): Promise<Array<{ relative: string; full: string; size: number }>> {
  const out: Array<{ relative: string; full: string; size: number }> = [];
  for (const name of (await readdir(path.join(dir, prefix))).sort()) {
    if (name.startsWith('.') || name.endsWith('.part')) continue;
    const relative = prefix ? `${prefix}/${name}` : name;
    const full = path.join(dir, relative);
    const info = await stat(full).catch(() => undefined);
    if (info?.isDirectory()) out.push(...(await listModelFiles(dir, relative)));
    else if (info?.isFile() && isModelFile({ path: relative, size: info.size })) out.push({ relative, full, size: info.size });
  }
  return out;
}

function throwIfAborted(signal?: AbortSignal) {
  if (signal?.aborted) throw new ModelError('aborted', 'the import was cancelled');
}

function describeFailure(error: unknown): { code: string; error: string } {
  if (error instanceof ModelError) return { code: error.code, error: error.message };
  if (error instanceof ArtifactError) return { code: `storage_${error.code}`, error: `The artifact store failed: ${error.message}` };
  return { code: 'internal', error: `The import failed unexpectedly: ${error instanceof Error ? error.message : String(error)}` };
}

const IMPORTING: ModelStatus[] = ['REQUESTED', 'DOWNLOADING', 'CONVERTING'];

async function markReady(db: Db, model: BaseModel, completed: CompletedImport, baseDetails: Record<string, unknown>): Promise<BaseModel | null> {
  return db.$transaction(async (tx) => {
    const { count } = await tx.baseModel.updateMany({
      where: { id: model.id, status: 'CONVERTING' },
      data: {
        ...completed.data,
        status: 'READY',
        progress: 1,
        error: null,
        artifacts: completed.artifacts,
        details: { ...baseDetails, ...completed.details },
      } as Prisma.BaseModelUpdateManyMutationInput,
    });
    if (count !== 1) return null;
    await recordAudit(tx, {
      organizationId: model.organizationId,
      actor: { userId: null },
      action: 'model.ready',
      targetType: 'BaseModel',
      targetId: model.id,
      data: { name: model.name, gguf: completed.artifacts.gguf.sha256, files: Object.keys(completed.artifacts.hf?.files ?? {}).length },
    });
    return tx.baseModel.findUniqueOrThrow({ where: { id: model.id } });
  });
}

async function markFailed(db: Db, model: BaseModel, failure: { code: string; error: string }, details: Record<string, unknown>): Promise<void> {
  await db.$transaction(async (tx) => {
    const { count } = await tx.baseModel.updateMany({
      where: { id: model.id, status: { in: IMPORTING } },
      data: { status: 'FAILED', error: failure.error, details: details as Prisma.InputJsonValue },
    });
    if (count !== 1) return;
    await recordAudit(tx, {
      organizationId: model.organizationId,
      actor: { userId: null },
      action: 'model.import_failed',
      targetType: 'BaseModel',
      targetId: model.id,
      data: { name: model.name, code: failure.code },
    });
  });
}

/**
 * Writes the import's state and progress to the row: each status change at once, progress at
 * most once per interval (the last value is never lost), always in order. A row that was deleted
 * or failed meanwhile stops the import.
 */
class ProgressWriter {
  status: ImportingStatus | 'REQUESTED' = 'REQUESTED';
  private startedAt = new Date();
  private lastWrite = 0;
  private pending: ModelImportProgress | undefined;
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly id: string,
    private readonly baseDetails: Record<string, unknown>,
    private readonly intervalMs: number,
    private readonly onProgress?: (progress: ModelImportProgress) => void,
  ) {}

  async enter(status: ImportingStatus): Promise<void> {
    await this.close();
    const from = this.status;
    this.status = status;
    this.startedAt = new Date();
    const { count } = await this.db.baseModel.updateMany({
      where: { id: this.id, status: { in: from === 'REQUESTED' ? IMPORTING : [from, status] } },
      data: { status, progress: 0, error: null, details: { ...this.baseDetails, stage: { startedAt: this.startedAt.toISOString() } } },
    });
    if (count !== 1) throw new ModelError('aborted', 'the model was deleted or changed while it was being imported');
    this.lastWrite = Date.now();
    this.onProgress?.({ status, progress: 0, step: status === 'DOWNLOADING' ? 'download' : 'store' });
  }

  report(update: Omit<ModelImportProgress, 'status'>): void {
    if (this.status === 'REQUESTED') return;
    const event = { ...update, status: this.status, progress: Math.min(1, Math.max(0, update.progress)) };
    this.onProgress?.(event);
    this.pending = event;
    if (this.timer) return;
    const wait = Math.max(0, this.lastWrite + this.intervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, wait);
  }

  private flush(): void {
    const event = this.pending;
    this.pending = undefined;
    if (!event) return;
    this.lastWrite = Date.now();
    const stage = { startedAt: this.startedAt.toISOString(), step: event.step, bytes: event.bytes, totalBytes: event.totalBytes };
    this.chain = this.chain
      .then(() =>
        this.db.baseModel.updateMany({
          where: { id: this.id, status: event.status },
          data: { progress: event.progress, details: { ...this.baseDetails, stage } as Prisma.InputJsonValue },
        }),
      )
      .catch(() => undefined);
  }

  /** Writes what is pending and waits for every write to land. */
  async close(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.flush();
    await this.chain;
  }
}
