// Saves the playground's system prompt and parameters under a name, private or shared with the project.
import type { TPresetFields } from '@/lib/universal/playground-preset';
import { recordAudit } from '@/server/services/audit/record-audit';
import { nameTaken, presetSelect, requireUser, toSummary, type PresetActor, type PresetSummary } from '@/server/services/playground/preset-access';

export type CreatePresetOptions = PresetActor & { fields: TPresetFields };

export async function createPreset({ tenant, userId, fields }: CreatePresetOptions): Promise<PresetSummary> {
  const createdById = requireUser(userId);
  try {
    const row = await tenant.db.$transaction(async (tx) => {
      const created = await tx.playgroundPreset.create({
        data: { ...fields, createdById, organizationId: tenant.scope.organizationId, projectId: tenant.scope.projectId },
        select: presetSelect,
      });
      await recordAudit(tx, { organizationId: tenant.scope.organizationId, actor: tenant.actor, action: 'playground_preset.create', targetType: 'PlaygroundPreset', targetId: created.id, data: { name: fields.name, shared: fields.shared } });
      return created;
    });
    return toSummary(row, userId);
  } catch (error) {
    throw nameTaken(error, fields.name);
  }
}
