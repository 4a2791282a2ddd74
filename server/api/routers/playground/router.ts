import { z } from 'zod';
import { projectProcedure, router } from '@/server/api/trpc';
import { ZPresetFields } from '@/lib/universal/playground-preset';
import { listPresets } from '@/server/services/playground/list-presets';
import { createPreset } from '@/server/services/playground/create-preset';
import { updatePreset } from '@/server/services/playground/update-preset';
import { deletePreset } from '@/server/services/playground/delete-preset';

const ZId = z.object({ id: z.string().min(1) });

const presetRouter = router({
  /** The caller's presets and the project's shared ones. */
  list: projectProcedure.query(({ ctx }) => listPresets({ tenant: ctx.tenant, userId: ctx.userId })),
  create: projectProcedure.input(ZPresetFields).mutation(({ ctx, input }) => createPreset({ tenant: ctx.tenant, userId: ctx.userId, fields: input })),
  /** Only the member who saved a preset may change it. */
  update: projectProcedure.input(ZId.extend({ fields: ZPresetFields })).mutation(({ ctx, input }) => updatePreset({ tenant: ctx.tenant, userId: ctx.userId, id: input.id, fields: input.fields })),
  delete: projectProcedure.input(ZId).mutation(({ ctx, input }) => deletePreset({ tenant: ctx.tenant, userId: ctx.userId, id: input.id })),
});

export const playgroundRouter = router({
  preset: presetRouter,
});
