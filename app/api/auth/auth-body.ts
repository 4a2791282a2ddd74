// The auth routes read their bodies through here: capped like every JSON body
// (LATHE_MAX_JSON_BODY_BYTES), with refusals in these routes' own shape, {"error": "..."}.
import { NextResponse } from 'next/server';
import { LatheError } from '@/server/services/errors';
import { CLOSE_AFTER_ANSWER, readBodyText } from '@/server/services/request-body/read-body';

export type AuthBody = { text: string; json: unknown } | { refusal: Response };

/** The body as text, and as JSON when it is JSON (undefined otherwise); a 413 past the cap. */
export async function readAuthBody(req: Request): Promise<AuthBody> {
  let text: string;
  try {
    text = await readBodyText(req);
  } catch (error) {
    if (error instanceof LatheError && error.details.reason === 'request_too_large') return { refusal: NextResponse.json({ error: error.message }, { status: 413, headers: CLOSE_AFTER_ANSWER }) };
    throw error;
  }
  try {
    return { text, json: JSON.parse(text) as unknown };
  } catch {
    return { text, json: undefined };
  }
}
