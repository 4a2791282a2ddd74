import type { inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '@/server/api/root';

/** One row of the Models page, as `model.list` answers it. */
export type ModelRow = inferRouterOutputs<AppRouter>['model']['list'][number];
