import { z } from 'zod';
import { router, signedInProjectProcedure } from '@/server/api/trpc';
import { createApiKey, listApiKeys, revokeApiKey } from '@/server/services/api-keys/api-keys';

export const apiKeyRouter = router({
  list: signedInProjectProcedure.query(({ ctx }) => listApiKeys({ db: ctx.tenant.db })),
  create: signedInProjectProcedure.input(z.object({ name: z.string().trim().max(100).default('') })).mutation(({ ctx, input }) => createApiKey({ tenant: ctx.tenant, name: input.name })),
  revoke: signedInProjectProcedure.input(z.object({ id: z.string() })).mutation(({ ctx, input }) => revokeApiKey({ tenant: ctx.tenant, id: input.id })),
});
