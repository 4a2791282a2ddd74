// Changes one of the caller's own presets: its name, prompt, parameters or whether it is shared.
import type { TPresetFields } from '@/lib/universal/playground-preset';
import { recordAudit } from '@/server/services/audit/record-audit';
import { nameTaken, ownPreset, presetSelect, toSummary, type PresetActor, type PresetSummary } from '@/server/services/playground/preset-access';

export type UpdatePresetOptions = PresetActor & { id: string; fields: TPresetFields };

export async function updatePreset({ tenant, userId, id, fields }: UpdatePresetOptions): Promise<PresetSummary> {
  await ownPreset({ tenant, userId }, id);
  try {
    const row = await tenant.db.$transaction(async (tx) => {
      const updated = await tx.playgroundPreset.update({ where: { id }, data: fields, select: presetSelect });
      await recordAudit(tx, { organizationId: tenant.scope.organizationId, actor: tenant.actor, action: 'playground_preset.update', targetType: 'PlaygroundPreset', targetId: id, data: { name: fields.name, shared: fields.shared } });
      return updated;
    });
    return toSummary(row, userId);
  } catch (error) {
    throw nameTaken(error, fields.name);
  }
}
