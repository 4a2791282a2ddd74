// The web app asks the runner that serves a deployment to load an adapter it does not have yet
// (a fine-tuned model finished moments ago, or a checkpoint, whose adapter the runner converts to
// GGUF the first time). Runners LISTEN on this channel; the web app then waits until the
// inference server lists the adapter.
import type { Db } from '@/server/db';

export const ADAPTER_CHANNEL = 'lathe_serving_adapters';

export type AdapterRequest = { deploymentId: string; name: string; kind: 'fine-tuned' | 'checkpoint'; id: string };

export async function notifyAdapterRequest(db: Db, request: AdapterRequest): Promise<void> {
  await db.$executeRawUnsafe('SELECT pg_notify($1, $2)', ADAPTER_CHANNEL, JSON.stringify(request));
}

export function parseAdapterRequest(payload: string | undefined): AdapterRequest | null {
  try {
    const value = JSON.parse(payload ?? '') as Partial<AdapterRequest>;
    if (typeof value.deploymentId !== 'string' || typeof value.name !== 'string' || typeof value.id !== 'string') return null;
    if (value.kind !== 'fine-tuned' && value.kind !== 'checkpoint') return null;
    return value as AdapterRequest;
  } catch {
    return null;
  }
}
