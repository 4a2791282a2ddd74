import { z } from 'zod';
import type { Db, Tx } from '@/server/db';
import type { TenantContext } from '@/server/db/tenant';
import { getBoss } from '@/server/queue/boss';
import { enqueue, importBaseModel } from '@/server/queue/contracts';
import type { AuditActor } from '@/server/services/audit/record-audit';
import { recordAudit } from '@/server/services/audit/record-audit';
import { LatheError } from '@/server/services/errors';
import { Prisma, type ModelSource } from '@/server/generated/prisma/client';
import { isModelError } from '@/server/services/model-format/errors';
import { assertImportAllowed, assertStorageFor } from '@/server/services/quotas/enforce-quotas';
import { listImportFiles, resolveImportPath, type ImportRoot } from './import-root';

/** Model names are the `model` of the OpenAI-compatible API, so they stay URL- and shell-safe. */
export const ZModelName = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'Use 1-64 letters, digits, dots, dashes or underscores, starting with a letter or digit.');

export const ZHubRepoId = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9][\w.-]{0,95}\/[\w.-]{1,96}$/, 'Use a Hugging Face repo id such as HuggingFaceTB/SmolLM2-135M-Instruct.');

export const ZModelImportSource = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('folder'), dir: z.string().trim().min(1) }),
  z.object({ kind: z.literal('hub'), repo: ZHubRepoId, revision: z.string().trim().min(1).max(200).optional() }),
  z.object({ kind: z.literal('gguf'), file: z.string().trim().min(1) }),
]);
export type TModelImportSource = z.infer<typeof ZModelImportSource>;

export type ModelScope = 'project' | 'platform';

/** Platform-wide imports are made by operators: a platform admin's session, or the CLI (no user). */
export type PlatformImporter = { db: Db; actor: AuditActor };

export interface RequestModelImportOptions {
  /** An organization member importing into their organization (scope 'project'). */
  tenant?: TenantContext;
  /** A platform operator (scope 'platform'). */
  admin?: PlatformImporter;
  source: TModelImportSource;
  name: string;
  scope: ModelScope;
  /**
   * Folders and GGUF files must lie under this directory (see importRootFor); null or left out
   * lets an operator (the CLI, a platform admin without LATHE_IMPORT_ROOT) name any path.
   */
  importRoot?: ImportRoot;
  /** Send the model.import job to the worker (default). The CLI runs the import itself instead. */
  enqueue?: boolean;
}

const SOURCE_KIND: Record<TModelImportSource['kind'], ModelSource> = { folder: 'FOLDER', hub: 'HUGGING_FACE', gguf: 'GGUF' };
const NAME_LOCK_KEY = 7_341_004;

/**
 * Registers a base model in REQUESTED (with its audit entry) and queues its import. Names are
 * unique among the models an organization can see (its own and platform-wide ones), because the
 * name is how the API and the jobs address a model.
 */
export async function requestModelImport(options: RequestModelImportOptions) {
  const { tenant, admin, scope } = options;
  if (scope === 'platform' && !admin) throw new LatheError('FORBIDDEN', 'Only platform administrators can add platform-wide base models.', { param: 'scope' });
  if (scope === 'project' && !tenant) throw new LatheError('BAD_REQUEST', 'An organization import needs a project to import into.', { param: 'scope' });
  const parsedName = ZModelName.safeParse(options.name);
  if (!parsedName.success) throw new LatheError('BAD_REQUEST', parsedName.error.issues[0]!.message, { param: 'name' });
  const name = parsedName.data;
  const source = ZModelImportSource.parse(options.source);
  const importRoot = options.importRoot ?? null;
  const { sourceRef, bytes } = await checkSource(source, importRoot);

  const organizationId = scope === 'platform' ? null : tenant!.scope.organizationId;
  const actor = scope === 'platform' ? admin!.actor : tenant!.actor;
  const db = (scope === 'platform' ? admin!.db : tenant!.db) as Db;
  const model = await db.$transaction(async (tx: Tx) => {
    // Platform rows have a null organization, which the unique index does not cover.
    await tx.$executeRawUnsafe('SELECT pg_advisory_xact_lock($1, hashtext($2))', NAME_LOCK_KEY, name.toLowerCase());
    const clash = await tx.baseModel.findFirst({
      where: {
        name: { equals: name, mode: 'insensitive' },
        ...(organizationId ? { OR: [{ organizationId }, { organizationId: null }] } : {}),
      },
      select: { organizationId: true },
    });
    if (clash) {
      const where = clash.organizationId === null ? 'a platform-wide model' : organizationId ? 'a model of this organization' : 'a model of an organization';
      throw new LatheError('CONFLICT', `The name "${name}" is already used by ${where}; choose another.`, { param: 'name' });
    }
    if (organizationId) {
      await assertImportAllowed(tx, organizationId);
      // A Hub repo's size is known once the worker lists it, and checked there before downloading.
      await assertStorageFor(tx, organizationId, bytes, source.kind === 'hub' ? 'Importing a model' : `${source.kind === 'folder' ? source.dir : source.file}`, { lock: false });
    }
    const created = await tx.baseModel.create({
      data: {
        organizationId,
        projectId: scope === 'platform' ? null : tenant!.scope.projectId,
        name,
        source: SOURCE_KIND[source.kind],
        sourceRef,
        status: 'REQUESTED',
        progress: 0,
        // Reserved against the organization's storage until the import settles its real size.
        sizeBytes: bytes > 0 ? BigInt(bytes) : null,
        // The worker reads the files again under the same root: recorded here, with the request.
        details: source.kind === 'hub' ? (source.revision ? { revision: source.revision } : undefined) : { importRoot },
      },
    });
    await recordAudit(tx, {
      organizationId,
      actor,
      action: 'model.import',
      targetType: 'BaseModel',
      targetId: created.id,
      data: { name, scope, source: source.kind, sourceRef, ...(source.kind === 'hub' && source.revision ? { revision: source.revision } : {}) },
    });
    return created;
  });

  if (options.enqueue !== false) {
    try {
      await enqueue(await getBoss(), importBaseModel, { modelId: model.id });
    } catch (error) {
      await db.baseModel.update({ where: { id: model.id }, data: { status: 'FAILED', error: 'The import could not be queued; try again.' } });
      throw new LatheError('INTERNAL', `The import could not be queued: ${(error as Error).message}`);
    }
  }
  return model;
}

/** Checks that a folder or file exists under the import root, with no symlink out of it, before anything is queued; and its size. */
async function checkSource(source: TModelImportSource, importRoot: ImportRoot): Promise<{ sourceRef: string; bytes: number }> {
  if (source.kind === 'hub') return { sourceRef: source.repo, bytes: 0 };
  const given = source.kind === 'folder' ? source.dir : source.file;
  const param = source.kind === 'folder' ? 'dir' : 'file';
  const resolved = await resolveImportPath({ root: importRoot, given, param });
  if (source.kind === 'folder' && resolved.kind !== 'folder') throw new LatheError('BAD_REQUEST', `${given} is not a folder.`, { param });
  if (source.kind === 'gguf' && resolved.kind !== 'file') throw new LatheError('BAD_REQUEST', `${given} is not a file.`, { param });
  if (source.kind === 'gguf') return { sourceRef: resolved.path, bytes: resolved.size };
  const files = await listImportFiles({ root: importRoot, dir: resolved.path }).catch((error: unknown) => {
    if (isModelError(error) && error.details?.outsideRoot) throw new LatheError('FORBIDDEN', `${given}: ${error.message}.`, { param, reason: 'outside_import_root' });
    if (isModelError(error)) throw new LatheError('BAD_REQUEST', `${given}: ${error.message}.`, { param });
    throw error;
  });
  return { sourceRef: resolved.path, bytes: files.reduce((sum, file) => sum + file.size, 0) };
}

export interface RetryModelImportOptions {
  tenant: TenantContext;
  /** Needed for a platform-wide model's import. */
  admin?: PlatformImporter;
  id: string;
  /** Edit: another source (repo, revision, path) than the failed import's; left out, the same one again. */
  source?: TModelImportSource;
  /** Edit: another name; left out, the same. */
  name?: string;
  importRoot?: ImportRoot;
  enqueue?: boolean;
}

/** The source a model row was imported from, as requestModelImport took it. */
function sourceOfRow(row: { source: ModelSource; sourceRef: string | null; details: unknown }): TModelImportSource {
  const ref = row.sourceRef ?? '';
  if (row.source === 'HUGGING_FACE') {
    const revision = (row.details as { revision?: unknown } | null)?.revision;
    return { kind: 'hub', repo: ref, ...(typeof revision === 'string' ? { revision } : {}) };
  }
  return row.source === 'GGUF' ? { kind: 'gguf', file: ref } : { kind: 'folder', dir: ref };
}

/**
 * Runs a failed import again, as it was or edited (source, name), on the same row: it goes back to
 * REQUESTED with its audit entry and is queued. Only a FAILED import can be retried; the name and
 * the organization's import and storage limits are checked as for a new import.
 */
export async function retryModelImport(options: RetryModelImportOptions) {
  const { tenant, admin, id } = options;
  const row = await tenant.db.baseModel.findFirst({ where: { id } });
  if (!row) throw new LatheError('NOT_FOUND', `The model '${id}' does not exist or you do not have access to it.`, { param: 'id', reason: 'model_not_found' });
  const organizationId = row.organizationId;
  if (organizationId === null && !admin) throw new LatheError('FORBIDDEN', 'Only platform administrators can import platform-wide base models again.', { param: 'id' });
  if (row.status !== 'FAILED') throw new LatheError('CONFLICT', `The import of "${row.name}" did not fail (${row.status.toLowerCase()}); only a failed import can be retried.`, { param: 'id' });
  const parsedName = ZModelName.safeParse(options.name ?? row.name);
  if (!parsedName.success) throw new LatheError('BAD_REQUEST', parsedName.error.issues[0]!.message, { param: 'name' });
  const name = parsedName.data;
  const source = ZModelImportSource.parse(options.source ?? sourceOfRow(row));
  const importRoot = options.importRoot ?? null;
  const { sourceRef, bytes } = await checkSource(source, importRoot);
  const actor = organizationId === null ? admin!.actor : tenant.actor;
  const db = (organizationId === null ? admin!.db : tenant.db) as Db;

  const model = await db.$transaction(async (tx: Tx) => {
    await tx.$executeRawUnsafe('SELECT pg_advisory_xact_lock($1, hashtext($2))', NAME_LOCK_KEY, name.toLowerCase());
    const clash = await tx.baseModel.findFirst({
      where: { id: { not: id }, name: { equals: name, mode: 'insensitive' }, ...(organizationId ? { OR: [{ organizationId }, { organizationId: null }] } : {}) },
      select: { organizationId: true },
    });
    if (clash) {
      const where = clash.organizationId === null ? 'a platform-wide model' : organizationId ? 'a model of this organization' : 'a model of an organization';
      throw new LatheError('CONFLICT', `The name "${name}" is already used by ${where}; choose another.`, { param: 'name' });
    }
    // The failed import's reserved size no longer counts while the new one's is checked.
    const reset = await tx.baseModel.updateMany({ where: { id, status: 'FAILED' }, data: { sizeBytes: null } });
    if (reset.count === 0) throw new LatheError('CONFLICT', `The import of "${row.name}" is already running again.`, { param: 'id' });
    if (organizationId) {
      await assertImportAllowed(tx, organizationId);
      await assertStorageFor(tx, organizationId, bytes, source.kind === 'hub' ? 'Importing a model' : `${source.kind === 'folder' ? source.dir : source.file}`, { lock: false });
    }
    const updated = await tx.baseModel.update({
      where: { id },
      data: {
        name,
        source: SOURCE_KIND[source.kind],
        sourceRef,
        status: 'REQUESTED',
        progress: 0,
        error: null,
        sizeBytes: bytes > 0 ? BigInt(bytes) : null,
        details: source.kind === 'hub' ? (source.revision ? { revision: source.revision } : Prisma.DbNull) : { importRoot },
      },
    });
    await recordAudit(tx, {
      organizationId,
      actor,
      action: 'model.import.retry',
      targetType: 'BaseModel',
      targetId: id,
      data: { name, source: source.kind, sourceRef, ...(name !== row.name ? { previousName: row.name } : {}), ...(sourceRef !== row.sourceRef ? { previousSourceRef: row.sourceRef } : {}) },
    });
    return updated;
  });

  if (options.enqueue !== false) {
    try {
      await enqueue(await getBoss(), importBaseModel, { modelId: model.id });
    } catch (error) {
      await db.baseModel.update({ where: { id: model.id }, data: { status: 'FAILED', error: 'The import could not be queued; try again.' } });
      throw new LatheError('INTERNAL', `The import could not be queued: ${(error as Error).message}`);
    }
  }
  return model;
}
