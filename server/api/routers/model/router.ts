import { projectProcedure, router } from '@/server/api/trpc';
import { listUsableModels } from '@/server/services/models/list-usable-models';

export const modelRouter = router({
  usable: projectProcedure.query(({ ctx }) => listUsableModels({ db: ctx.tenant.db })),
});
