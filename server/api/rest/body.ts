import type { z } from 'zod';
import { assertStorableText } from '@/server/api/storable-text';
import { LatheError } from '@/server/services/errors';
import { readBodyText } from '@/server/services/request-body/read-body';

/** Parses a JSON body (at most LATHE_MAX_JSON_BODY_BYTES) against a schema; malformed JSON and wrong fields are 400s in OpenAI's shape. */
export async function parseJsonBody<S extends z.ZodType>(req: Request, schema: S): Promise<z.output<S>> {
  const text = await readBodyText(req);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new LatheError('BAD_REQUEST', 'We could not parse the JSON body of your request. Send valid JSON with Content-Type: application/json.', { reason: 'invalid_json' });
  }
  assertStorableText(body);
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
