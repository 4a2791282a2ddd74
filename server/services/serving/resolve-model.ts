// Model names as clients send them, resolved in the caller's project: an alias (to its target),
// a base model, a fine-tuned model (`ft:...`) or a checkpoint of one (`<ft name>:ckpt-step-N`, the
// same name while its job runs and after; the older `ft-job-<job id>:ckpt-step-N` still answers
// while the job has no model). Another tenant's models are not
// found: every lookup goes through the tenant client.
import type { Prisma } from '@/server/generated/prisma/client';
import type { TenantDb } from '@/server/db/tenant';
import { LatheError } from '@/server/services/errors';
import type { StoredFolder } from '@/server/services/artifacts/folders';
import { fineTunedModelName } from '@/server/services/training/openai-shapes';

export const CHECKPOINT_NAME = /^(.+):ckpt-step-(\d{1,9})$/;
const JOB_CHECKPOINT_PARENT = /^ft-job-([a-z0-9]+)$/;

export type ServedBaseModel = {
  id: string;
  name: string;
  organizationId: string | null;
  license: string | null;
  chatTemplate: boolean;
  /** A per-model serving price override; null prices by the price book's size class. */
  inferencePricePerMillionTokens: Prisma.Decimal | null;
  parameters: bigint | null;
};

export type ResolvedModel = {
  /** The name the client sent (an alias stays an alias here). */
  requested: string;
  /** The alias used, if any. */
  alias: string | null;
  /** The model's own name: what the inference server serves it as, and what usage is recorded under. */
  name: string;
  kind: 'base' | 'fine-tuned' | 'checkpoint';
  baseModel: ServedBaseModel;
  /** The adapter to serve on the base: a fine-tuned model's or a checkpoint's. */
  adapter: { kind: 'fine-tuned'; id: string } | { kind: 'checkpoint'; id: string } | null;
};

const BASE_SELECT = { id: true, name: true, organizationId: true, license: true, chatTemplate: true, inferencePricePerMillionTokens: true, parameters: true, status: true, artifacts: true } as const;

export function modelNotFound(name: string): LatheError {
  return new LatheError('NOT_FOUND', `The model \`${name}\` does not exist or you do not have access to it. GET /v1/models lists the models this key can call.`, {
    reason: 'model_not_found',
    param: 'model',
  });
}

function servable(base: { status: string; artifacts: unknown } | null): boolean {
  const gguf = (base?.artifacts as { gguf?: { sha256?: string } } | null)?.gguf;
  return base?.status === 'READY' && typeof gguf?.sha256 === 'string';
}

function toServed(base: ServedBaseModel & { status?: unknown; artifacts?: unknown }): ServedBaseModel {
  return { id: base.id, name: base.name, organizationId: base.organizationId, license: base.license, chatTemplate: base.chatTemplate, inferencePricePerMillionTokens: base.inferencePricePerMillionTokens, parameters: base.parameters };
}

/**
 * The job a `ft:...:<job id>` name belongs to while the job has no model yet: its checkpoints are
 * named by the model name it will have, which the job's base model, organization, suffix and id fix.
 */
async function jobBeforeItsModel(db: TenantDb, parent: string) {
  const jobId = parent.startsWith('ft:') ? parent.slice(parent.lastIndexOf(':') + 1) : '';
  if (!/^[a-z0-9]+$/.test(jobId)) return null;
  const job = await db.trainingJob.findUnique({
    where: { id: jobId },
    select: { id: true, suffix: true, organization: { select: { slug: true } }, fineTunedModel: { select: { name: true } }, baseModel: { select: BASE_SELECT } },
  });
  if (!job || job.fineTunedModel || fineTunedModelName(job.baseModel.name, job.organization.slug, job.suffix, job.id) !== parent) return null;
  return job;
}

/** A model name without aliases; null when nothing of that name is usable in the project. */
export async function resolveConcreteModel({ db, name }: { db: TenantDb; name: string }): Promise<Omit<ResolvedModel, 'requested' | 'alias'> | null> {
  const checkpoint = CHECKPOINT_NAME.exec(name);
  if (checkpoint) {
    const [, parent, stepText] = checkpoint as unknown as [string, string, string];
    const jobId = JOB_CHECKPOINT_PARENT.exec(parent)?.[1];
    const job = jobId
      ? await db.trainingJob.findUnique({ where: { id: jobId }, select: { id: true, fineTunedModel: { select: { name: true } }, baseModel: { select: BASE_SELECT } } })
      : (((await db.fineTunedModel.findUnique({ where: { name: parent }, select: { job: { select: { id: true, fineTunedModel: { select: { name: true } }, baseModel: { select: BASE_SELECT } } } } }))?.job ?? null) ??
        (await jobBeforeItsModel(db, parent)));
    if (!job || !servable(job.baseModel)) return null;
    // A job that has its model since is named by the model, as the checkpoints API names it.
    if (jobId && job.fineTunedModel) return null;
    const row = await db.checkpoint.findFirst({ where: { jobId: job.id, step: Number(stepText) }, select: { id: true, artifacts: true } });
    const files = (row?.artifacts as { files?: StoredFolder } | null)?.files;
    if (!row || !files || !Object.keys(files).some((f) => f.startsWith('adapter_model'))) return null;
    return { name, kind: 'checkpoint', baseModel: toServed(job.baseModel), adapter: { kind: 'checkpoint', id: row.id } };
  }
  if (name.startsWith('ft:')) {
    const tuned = await db.fineTunedModel.findUnique({ where: { name }, select: { id: true, artifacts: true, baseModel: { select: BASE_SELECT } } });
    const gguf = (tuned?.artifacts as { gguf?: { sha256?: string } } | null)?.gguf;
    if (!tuned || !gguf?.sha256 || !servable(tuned.baseModel)) return null;
    return { name, kind: 'fine-tuned', baseModel: toServed(tuned.baseModel), adapter: { kind: 'fine-tuned', id: tuned.id } };
  }
  const bases = await db.baseModel.findMany({ where: { name }, select: BASE_SELECT });
  // The organization's own model of a name comes before a platform-wide one of the same name.
  const base = bases.find((b) => b.organizationId !== null) ?? bases[0];
  if (!base || !servable(base)) return null;
  return { name, kind: 'base', baseModel: toServed(base), adapter: null };
}

/** Resolves a requested model name; NOT_FOUND (`model_not_found`) when the project cannot call it. */
export async function resolveModel({ db, name }: { db: TenantDb; name: string }): Promise<ResolvedModel> {
  // The name as a model and as an alias at once: one round trip in the common case.
  const [alias, direct] = await Promise.all([db.modelAlias.findFirst({ where: { name }, select: { name: true, target: true } }), resolveConcreteModel({ db, name })]);
  const concrete = alias ? await resolveConcreteModel({ db, name: alias.target }) : direct;
  if (!concrete) {
    if (alias) {
      throw new LatheError('NOT_FOUND', `The alias \`${name}\` points at \`${alias.target}\`, which does not exist or is not ready. Point the alias at another model.`, {
        reason: 'model_not_found',
        param: 'model',
      });
    }
    throw modelNotFound(name);
  }
  return { ...concrete, requested: name, alias: alias ? alias.name : null };
}
