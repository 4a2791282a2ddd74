// Who sees which playground preset, and the shape every preset service answers with. The tenant
// client already confines each query to the caller's project; inside it, a preset is visible to
// the member who saved it, and to everyone in the project once it is shared.
import { Prisma } from '@/server/generated/prisma/client';
import { isUniqueViolation } from '@/server/db/errors';
import type { TenantContext } from '@/server/db/tenant';
import { ZPresetParameters, type TPresetParameters } from '@/lib/universal/playground-preset';
import { LatheError, notFound } from '@/server/services/errors';

export type PresetActor = { tenant: TenantContext; userId: string | null };

export type PresetSummary = {
  id: string;
  name: string;
  systemPrompt: string;
  parameters: TPresetParameters;
  shared: boolean;
  /** Saved by the caller (who alone may change it). */
  mine: boolean;
  author: string;
  updatedAt: Date;
};

export const presetSelect = {
  id: true,
  name: true,
  systemPrompt: true,
  parameters: true,
  shared: true,
  createdById: true,
  updatedAt: true,
  createdBy: { select: { name: true, email: true } },
} as const;

type PresetRow = Prisma.PlaygroundPresetGetPayload<{ select: typeof presetSelect }>;

/** The caller's user: presets belong to a person, so a key without an owner cannot keep any. */
export function requireUser(userId: string | null): string {
  if (!userId) throw new LatheError('FORBIDDEN', 'Presets belong to a person; use a key created by a member, or sign in.', { reason: 'preset_needs_user' });
  return userId;
}

export const visibleTo = (userId: string | null): Prisma.PlaygroundPresetWhereInput => (userId ? { OR: [{ shared: true }, { createdById: userId }] } : { shared: true });

export function toSummary(row: PresetRow, userId: string | null): PresetSummary {
  return {
    id: row.id,
    name: row.name,
    systemPrompt: row.systemPrompt,
    parameters: ZPresetParameters.parse(row.parameters),
    shared: row.shared,
    mine: row.createdById === userId,
    author: row.createdBy.name || row.createdBy.email,
    updatedAt: row.updatedAt,
  };
}

/** A preset the caller may change: their own. Another member's shared preset is read-only to them. */
export async function ownPreset({ tenant, userId }: PresetActor, id: string) {
  const row = await tenant.db.playgroundPreset.findFirst({ where: { id, ...visibleTo(userId) }, select: presetSelect });
  if (!row) throw notFound('Preset');
  if (row.createdById !== userId) {
    throw new LatheError('FORBIDDEN', `Only ${row.createdBy.name || row.createdBy.email} can change the shared preset "${row.name}"; save a copy under another name instead.`, { reason: 'preset_not_owned' });
  }
  return row;
}

export function nameTaken(error: unknown, name: string): unknown {
  if (isUniqueViolation(error)) {
    return new LatheError('CONFLICT', `You already have a preset named "${name}"; choose another name or update that one.`, { param: 'name', reason: 'name_taken' });
  }
  return error;
}
