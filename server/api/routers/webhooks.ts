// Webhook endpoints of the caller's project (signed-in members and API keys alike, so the SDK can
// manage them): thin procedures over server/services/webhooks.
import { z } from 'zod';
import { projectProcedure, router } from '@/server/api/trpc';
import {
  ZCreateWebhookEndpoint,
  ZUpdateWebhookEndpoint,
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  getWebhookEndpoint,
  listWebhookDeliveries,
  listWebhookEndpoints,
  rotateWebhookSecret,
  sendTestWebhookEvent,
  updateWebhookEndpoint,
} from '@/server/services/webhooks/manage-endpoints';

const ZById = z.object({ id: z.string().min(1) });

export const webhooksRouter = router({
  list: projectProcedure.query(({ ctx }) => listWebhookEndpoints({ tenant: ctx.tenant })),
  get: projectProcedure.input(ZById).query(({ ctx, input }) => getWebhookEndpoint({ tenant: ctx.tenant, id: input.id })),
  create: projectProcedure.input(ZCreateWebhookEndpoint).mutation(({ ctx, input }) => createWebhookEndpoint({ tenant: ctx.tenant, input })),
  update: projectProcedure.input(ZUpdateWebhookEndpoint).mutation(({ ctx, input }) => updateWebhookEndpoint({ tenant: ctx.tenant, input })),
  delete: projectProcedure.input(ZById).mutation(({ ctx, input }) => deleteWebhookEndpoint({ tenant: ctx.tenant, id: input.id })),
  rotateSecret: projectProcedure.input(ZById).mutation(({ ctx, input }) => rotateWebhookSecret({ tenant: ctx.tenant, id: input.id })),
  sendTest: projectProcedure.input(ZById).mutation(({ ctx, input }) => sendTestWebhookEvent({ tenant: ctx.tenant, id: input.id })),
  deliveries: projectProcedure
    .input(z.object({ endpointId: z.string().min(1), limit: z.number().int().min(1).max(200).default(50) }))
    .query(({ ctx, input }) => listWebhookDeliveries({ tenant: ctx.tenant, endpointId: input.endpointId, limit: input.limit })),
});
