// Input holding text PostgreSQL cannot store (lib/universal/storable-text.ts) is refused at the
// API's edge with the parameter named, instead of failing inside a query as a 500.
import { findUnstorableText } from '@/lib/universal/storable-text';
import { LatheError } from '@/server/services/errors';

/** BAD_REQUEST naming the parameter when `value` holds text PostgreSQL cannot store. */
export function assertStorableText(value: unknown, where = 'The request'): void {
  const path = findUnstorableText(value);
  if (path === null) return;
  throw new LatheError('BAD_REQUEST', `${path ? `'${path}'` : where} holds a NUL character or an unpaired UTF-16 surrogate, which Lathe cannot store; remove it.`, {
    ...(path ? { param: path } : {}),
    reason: 'invalid_request',
  });
}

/** Path parameters are ids and names, and one the database cannot hold names nothing: NOT_FOUND, as for any unknown id. */
export function assertStorablePath(params: unknown): void {
  const path = findUnstorableText(params);
  if (path === null) return;
  throw new LatheError('NOT_FOUND', `Nothing has the ${path || 'id'} given in the path: it holds a NUL character or an unpaired UTF-16 surrogate.`, {
    ...(path ? { param: path } : {}),
    reason: 'not_found',
  });
}
