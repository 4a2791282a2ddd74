// A playground preset's fields, shared by the playground form, the tRPC router and the services:
// the same bounds the playground's inputs enforce, so a saved preset always loads as it was saved.
import { z } from 'zod';

export const PRESET_LIMITS = {
  temperature: { min: 0, max: 2 },
  topP: { min: 0.01, max: 1 },
  maxTokens: { min: 1, max: 4096 },
  nameLength: 80,
  systemPromptLength: 20_000,
} as const;

export const ZPresetParameters = z.object({
  temperature: z.number().min(PRESET_LIMITS.temperature.min).max(PRESET_LIMITS.temperature.max),
  topP: z.number().min(PRESET_LIMITS.topP.min).max(PRESET_LIMITS.topP.max),
  maxTokens: z.number().int().min(PRESET_LIMITS.maxTokens.min).max(PRESET_LIMITS.maxTokens.max),
});
export type TPresetParameters = z.infer<typeof ZPresetParameters>;

export const ZPresetName = z.string().trim().min(1).max(PRESET_LIMITS.nameLength);

export const ZPresetFields = z.object({
  name: ZPresetName,
  systemPrompt: z.string().max(PRESET_LIMITS.systemPromptLength),
  parameters: ZPresetParameters,
  shared: z.boolean(),
});
export type TPresetFields = z.infer<typeof ZPresetFields>;
