// Hub look-ups for the import dialog, with the Hub's failures turned into the API's errors.
import type { Db } from '@/server/db';
import { LatheError } from '@/server/services/errors';
import { hubTokenFor } from '@/server/services/orgs/hub-token';
import { isModelError } from '@/server/services/model-format/errors';
import { listHubFiles, searchHubModels, type HubFile, type HubModelSummary } from '@/server/services/hub/hub-client';
import { isModelFile } from '@/server/services/hub/download-hf-repo';

function toLatheError(error: unknown): never {
  if (isModelError(error)) {
    if (error.code === 'hub_not_found') throw new LatheError('NOT_FOUND', error.message, { reason: error.code });
    if (error.code === 'hub_unauthorized') throw new LatheError('PRECONDITION_FAILED', error.message, { reason: error.code });
    // No answer at all, or the Hub's own failure: an import would fail the same way now.
    const status = (error.details as { status?: number } | undefined)?.status;
    if (error.code === 'hub_error' && (status === undefined || status >= 500)) {
      throw new LatheError('SERVICE_UNAVAILABLE', `The Hugging Face Hub could not be reached: ${error.message}`, { reason: 'hub_unreachable' });
    }
    throw new LatheError('BAD_REQUEST', `The Hugging Face Hub could not be reached: ${error.message}`, { reason: error.code });
  }
  throw error;
}

/** Whose Hub access a look-up uses: an organization's own token, or for platform-wide work (null) the operator's. */
export type HubLookupOwner = { db: Db; organizationId: string | null };

export async function searchHub({ owner, query, limit = 10, hubUrl }: { owner: HubLookupOwner; query: string; limit?: number; hubUrl?: string }): Promise<HubModelSummary[]> {
  if (query.trim().length < 2) return [];
  const token = await hubTokenFor(owner);
  return searchHubModels({ query: query.trim(), limit, hubUrl, token, signal: AbortSignal.timeout(15_000) }).catch(toLatheError);
}

export type HubRepoFile = HubFile & { imported: boolean };

/** A repo's files, marking those an import downloads (weights, configs, tokenizer, licence). */
export async function listHubRepoFiles({ owner, repo, revision, hubUrl }: { owner: HubLookupOwner; repo: string; revision?: string; hubUrl?: string }): Promise<HubRepoFile[]> {
  const token = await hubTokenFor(owner);
  const files = await listHubFiles({ repo, revision, hubUrl, token, signal: AbortSignal.timeout(30_000) }).catch(toLatheError);
  return files.map((f) => ({ ...f, imported: isModelFile(f) }));
}
