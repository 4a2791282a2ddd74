import { TRPCClientError } from '@trpc/client';

/** Maps a tRPC error to form fields: a service error names its field in data.param. */
export function fieldErrors(error: unknown, fallback: string): Record<string, string> {
  if (error instanceof TRPCClientError) {
    const data = error.data as { param?: string | null; zodError?: { fieldErrors?: Record<string, string[]> } | null } | undefined;
    const zod = data?.zodError?.fieldErrors;
    if (zod && Object.keys(zod).length) {
      return Object.fromEntries(Object.entries(zod).map(([k, v]) => [k, v?.[0] ?? fallback]));
    }
    return { [data?.param ?? 'form']: error.message };
  }
  return { form: fallback };
}
