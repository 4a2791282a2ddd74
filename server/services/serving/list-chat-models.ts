// The models the playground offers: chat-capable base models, their fine-tunes, those fine-tunes'
// checkpoints, and the project's aliases. Fine-tunes and checkpoints name the job that made them,
// so the picker can group a job's checkpoints under it.
import type { TenantContext } from '@/server/db/tenant';
import type { StoredFolder } from '@/server/services/artifacts/folders';
import { fineTunedModelName } from '@/server/services/training/openai-shapes';

export type ChatModelJob = { id: string; name: string };
export type ChatModelOption = { id: string; kind: 'base' | 'fine-tuned' | 'checkpoint' | 'alias'; baseModel: string; target?: string; job?: ChatModelJob };

/** A job's name in lists: its suffix, else its id as /v1 spells it. */
const jobOf = (id: string, suffix: string | null): ChatModelJob => ({ id: `ftjob-${id}`, name: suffix || `ftjob-${id}` });

const CHECKPOINTS_PER_JOB = 5;

const hasAdapter = (artifacts: unknown) => Object.keys((artifacts as { files?: StoredFolder } | null)?.files ?? {}).some((f) => f.startsWith('adapter_model'));

export async function listChatModels({ tenant }: { tenant: TenantContext }): Promise<ChatModelOption[]> {
  const bases = await tenant.db.baseModel.findMany({ where: { status: 'READY', chatTemplate: true }, select: { id: true, name: true, artifacts: true }, orderBy: { name: 'asc' } });
  const servable = bases.filter((b) => (b.artifacts as { gguf?: unknown } | null)?.gguf);
  const baseName = new Map(servable.map((b) => [b.id, b.name]));
  const tuned = await tenant.db.fineTunedModel.findMany({
    where: { baseModelId: { in: [...baseName.keys()] } },
    select: { name: true, baseModelId: true, jobId: true, job: { select: { suffix: true } } },
    orderBy: { createdAt: 'desc' },
  });
  const checkpoints = await tenant.db.checkpoint.findMany({
    where: { jobId: { in: tuned.map((t) => t.jobId).filter((id): id is string => id !== null) } },
    select: { jobId: true, step: true, artifacts: true },
    orderBy: { step: 'desc' },
  });
  const options: ChatModelOption[] = servable.map((b) => ({ id: b.name, kind: 'base', baseModel: b.name }));
  for (const t of tuned) {
    const base = baseName.get(t.baseModelId)!;
    const job = t.jobId ? jobOf(t.jobId, t.job?.suffix ?? null) : undefined;
    options.push({ id: t.name, kind: 'fine-tuned', baseModel: base, job });
    checkpoints
      .filter((c) => c.jobId === t.jobId && hasAdapter(c.artifacts))
      .slice(0, CHECKPOINTS_PER_JOB)
      .forEach((c) => options.push({ id: `${t.name}:ckpt-step-${c.step}`, kind: 'checkpoint', baseModel: base, job }));
  }
  // Checkpoints of jobs still without their model, under the name they keep once it exists.
  const training = await tenant.db.trainingJob.findMany({
    where: { baseModelId: { in: [...baseName.keys()] }, fineTunedModel: { is: null }, checkpoints: { some: {} } },
    select: { id: true, suffix: true, baseModelId: true, organization: { select: { slug: true } }, checkpoints: { select: { step: true, artifacts: true }, orderBy: { step: 'desc' } } },
    orderBy: { createdAt: 'desc' },
  });
  for (const job of training) {
    const base = baseName.get(job.baseModelId)!;
    const parent = fineTunedModelName(base, job.organization.slug, job.suffix, job.id);
    job.checkpoints
      .filter((c) => hasAdapter(c.artifacts))
      .slice(0, CHECKPOINTS_PER_JOB)
      .forEach((c) => options.push({ id: `${parent}:ckpt-step-${c.step}`, kind: 'checkpoint', baseModel: base, job: jobOf(job.id, job.suffix) }));
  }
  const aliases = await tenant.db.modelAlias.findMany({ orderBy: { name: 'asc' } });
  for (const alias of aliases) {
    const target = options.find((o) => o.id === alias.target);
    if (target) options.push({ id: alias.name, kind: 'alias', baseModel: target.baseModel, target: alias.target });
  }
  return options;
}
