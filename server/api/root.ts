import { createCallerFactory, router } from '@/server/api/trpc';
import { authRouter } from '@/server/api/routers/auth/router';
import { accountRouter } from '@/server/api/routers/account/router';
import { organizationRouter } from '@/server/api/routers/organization/router';
import { projectRouter } from '@/server/api/routers/project/router';
import { apiKeyRouter } from '@/server/api/routers/api-key/router';
import { billingRouter } from '@/server/api/routers/billing/router';
import { auditRouter } from '@/server/api/routers/audit/router';
import { adminRouter } from '@/server/api/routers/admin/router';
import { modelRouter } from '@/server/api/routers/model/router';
import { datasetRouter } from '@/server/api/routers/dataset/router';
import { jobRouter } from '@/server/api/routers/job/router';
import { servingRouter } from '@/server/api/routers/serving/router';
import { playgroundRouter } from '@/server/api/routers/playground/router';
import { webhooksRouter } from '@/server/api/routers/webhooks';
import { evalsRouter } from '@/server/api/routers/evals/router';

export const appRouter = router({
  auth: authRouter,
  account: accountRouter,
  organization: organizationRouter,
  project: projectRouter,
  apiKey: apiKeyRouter,
  billing: billingRouter,
  audit: auditRouter,
  admin: adminRouter,
  model: modelRouter,
  dataset: datasetRouter,
  job: jobRouter,
  serving: servingRouter,
  playground: playgroundRouter,
  webhooks: webhooksRouter,
  evals: evalsRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
