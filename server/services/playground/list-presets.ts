// The presets the caller sees in the playground: their own and the project's shared ones, by name.
import { presetSelect, toSummary, visibleTo, type PresetActor, type PresetSummary } from '@/server/services/playground/preset-access';

export type ListPresetsOptions = PresetActor;

export async function listPresets({ tenant, userId }: ListPresetsOptions): Promise<PresetSummary[]> {
  const rows = await tenant.db.playgroundPreset.findMany({ where: visibleTo(userId), select: presetSelect, orderBy: [{ name: 'asc' }, { createdAt: 'asc' }] });
  return rows.map((row) => toSummary(row, userId));
}
