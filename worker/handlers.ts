// The worker's registry: queue name -> handler. Features register their consumers here.
import type { Job } from 'pg-boss';

export type Handler = (jobs: Job<unknown>[]) => Promise<unknown>;

export const handlers: Record<string, Handler> = {};
