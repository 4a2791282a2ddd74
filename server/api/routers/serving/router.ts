import { z } from 'zod';
import { projectProcedure, router } from '@/server/api/trpc';
import { deployModel, listDeployments, undeployModel } from '@/server/services/serving/manage-deployments';
import { createAlias, deleteAlias, listAliases, updateAlias, ZAliasName, ZAliasTarget } from '@/server/services/serving/manage-aliases';
import { listChatModels } from '@/server/services/serving/list-chat-models';
import { listDownloads } from '@/server/services/serving/model-downloads';
import { listHubPushes, requestHubPush, ZHubPushInput } from '@/server/services/hub/push-service';
import { deleteFineTunedModel, listFineTunedModels } from '@/server/services/serving/fine-tuned-models';

const ZId = z.object({ id: z.string().min(1) });
const ZBaseModel = z.object({ baseModelId: z.string().min(1) });

const aliasRouter = router({
  list: projectProcedure.query(({ ctx }) => listAliases({ tenant: ctx.tenant })),
  create: projectProcedure.input(z.object({ name: ZAliasName, target: ZAliasTarget })).mutation(({ ctx, input }) => createAlias({ tenant: ctx.tenant, ...input })),
  update: projectProcedure.input(z.object({ id: z.string().min(1), target: ZAliasTarget })).mutation(({ ctx, input }) => updateAlias({ tenant: ctx.tenant, ...input })),
  delete: projectProcedure.input(ZId).mutation(({ ctx, input }) => deleteAlias({ tenant: ctx.tenant, id: input.id })),
});

export const servingRouter = router({
  deployments: projectProcedure.query(({ ctx }) => listDeployments({ tenant: ctx.tenant })),
  deploy: projectProcedure.input(ZBaseModel).mutation(({ ctx, input }) => deployModel({ tenant: ctx.tenant, baseModelId: input.baseModelId })),
  undeploy: projectProcedure.input(ZBaseModel).mutation(({ ctx, input }) =>
    undeployModel({ tenant: ctx.tenant, baseModelId: input.baseModelId, orgAdmin: Boolean(ctx.session) && ctx.role !== 'MEMBER', platformAdmin: ctx.session?.role === 'ADMIN' }),
  ),
  /** Models the playground can chat with: chat-capable bases, fine-tunes, checkpoints, aliases. */
  chatModels: projectProcedure.query(({ ctx }) => listChatModels({ tenant: ctx.tenant })),
  /** Download links of a fine-tuned model, named by id or by its `ft:...` name. */
  downloads: projectProcedure.input(z.object({ fineTunedModel: z.string().min(1) })).query(({ ctx, input }) => listDownloads({ tenant: ctx.tenant, fineTunedModel: input.fineTunedModel })),
  /** Pushes the adapter or the merged model to a Hugging Face Hub repo with the organization's token (queued on hub.push). */
  hubPush: projectProcedure.input(ZHubPushInput).mutation(({ ctx, input }) => requestHubPush({ tenant: ctx.tenant, input })),
  /** The Hub pushes of a fine-tuned model, newest first, with their progress. */
  hubPushes: projectProcedure.input(z.object({ fineTunedModel: z.string().min(1) })).query(({ ctx, input }) => listHubPushes({ tenant: ctx.tenant, fineTunedModel: input.fineTunedModel })),
  /** The project's fine-tuned models with their job and downloads (the Models page's section). */
  fineTuned: projectProcedure.query(({ ctx }) => listFineTunedModels({ tenant: ctx.tenant })),
  /** Deletes a fine-tuned model; the job that made it stays. */
  deleteFineTuned: projectProcedure.input(ZId).mutation(({ ctx, input }) => deleteFineTunedModel({ tenant: ctx.tenant, db: ctx.db, id: input.id })),
  /** The caller's project, for route handlers outside tRPC (playground, downloads). */
  requestScope: projectProcedure.query(({ ctx }) => ({ ...ctx.tenant.scope, userId: ctx.userId, apiKeyId: ctx.tenant.actor.apiKeyId ?? null })),
  alias: aliasRouter,
});
