// Deletes one of the caller's own presets; members who used a shared one keep their conversation.
import { recordAudit } from '@/server/services/audit/record-audit';
import { ownPreset, type PresetActor } from '@/server/services/playground/preset-access';

export type DeletePresetOptions = PresetActor & { id: string };

export async function deletePreset({ tenant, userId, id }: DeletePresetOptions): Promise<{ id: string; name: string }> {
  const preset = await ownPreset({ tenant, userId }, id);
  await tenant.db.$transaction(async (tx) => {
    await tx.playgroundPreset.delete({ where: { id } });
    await recordAudit(tx, { organizationId: tenant.scope.organizationId, actor: tenant.actor, action: 'playground_preset.delete', targetType: 'PlaygroundPreset', targetId: id, data: { name: preset.name } });
  });
  return { id, name: preset.name };
}
