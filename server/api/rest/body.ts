import type { z } from 'zod';
import { LatheError } from '@/server/services/errors';

/** Parses a JSON body against a schema; malformed JSON and wrong fields are 400s in OpenAI's shape. */
export async function parseJsonBody<S extends z.ZodType>(req: Request, schema: S): Promise<z.output<S>> {
  let body: unknown;
  try {
    body = await req.json();
  } catch {
    throw new LatheError('BAD_REQUEST', 'We could not parse the JSON body of your request. Send valid JSON with Content-Type: application/json.', { reason: 'invalid_json' });
  }
  return schema.parse(body);
}

export function intParam(url: URL, name: string, { min, max, fallback }: { min: number; max: number; fallback: number }) {
  const raw = url.searchParams.get(name);
  if (raw === null) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new LatheError('BAD_REQUEST', `${name} must be an integer from ${min} to ${max}.`, { param: name });
  }
  return value;
}
