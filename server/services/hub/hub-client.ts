import { HubApiError, listFiles, listModels, modelInfo } from '@huggingface/hub';
import { ModelError } from '../model-format/errors';

export interface HubConnection {
  /** Hub base URL; default HF_ENDPOINT or https://huggingface.co. */
  hubUrl?: string;
  /**
   * Access token for gated and private repos, chosen by the caller for whose work this is (see
   * hubTokenFor): never read from the environment here, so no request borrows the operator's.
   */
  token?: string;
  signal?: AbortSignal;
}

export interface HubModelSummary {
  id: string;
  downloads: number;
  likes: number;
  gated: false | 'auto' | 'manual';
  private: boolean;
  task?: string;
  updatedAt: Date;
}

export interface HubFile {
  path: string;
  size: number;
  /** SHA-256 of the content, known for files stored with LFS or Xet. */
  sha256?: string;
  /** Git blob id (SHA-1 of "blob <size>\0" + content) of a file stored in git itself. */
  gitOid?: string;
}

export function resolveHub(connection: HubConnection): { hubUrl: string; accessToken?: string; fetch: typeof fetch } {
  const hubUrl = (connection.hubUrl ?? process.env.HF_ENDPOINT ?? 'https://huggingface.co').replace(/\/$/, '');
  const accessToken = connection.token || undefined;
  if (accessToken && !accessToken.startsWith('hf_')) {
    throw new ModelError('hub_unauthorized', 'the Hugging Face token must start with hf_');
  }
  const signal = connection.signal;
  const boundFetch: typeof fetch = (input, init) => fetch(input, { ...init, signal: init?.signal ?? signal });
  return { hubUrl, accessToken, fetch: boundFetch };
}

/** Hub failures as ModelErrors: 401/403 need a token or an accepted licence, 404 is an unknown repo or file. */
export function hubError(error: unknown, what: string): ModelError {
  if (error instanceof ModelError) return error;
  if (error instanceof HubApiError) {
    if (error.statusCode === 401 || error.statusCode === 403) {
      return new ModelError(
        'hub_unauthorized',
        `${what}: access denied (${error.statusCode}); the repo may be gated or private: accept its licence on the Hub with an account whose token Lathe has (the organization's Hugging Face token in its settings, or HF_TOKEN for platform-wide imports)`,
        { status: error.statusCode },
      );
    }
    if (error.statusCode === 404) return new ModelError('hub_not_found', `${what}: not found on the Hub`, { status: 404 });
    return new ModelError('hub_error', `${what}: the Hub answered ${error.statusCode}: ${error.message}`, { status: error.statusCode });
  }
  if ((error as Error)?.name === 'AbortError') return new ModelError('aborted', `${what}: cancelled`);
  return new ModelError('hub_error', `${what}: ${(error as Error)?.message ?? String(error)}`, {}, { cause: error });
}

export interface SearchHubModelsOptions extends HubConnection {
  query: string;
  limit?: number;
}

/** Text-generation models whose name matches `query`, most downloaded first. */
export async function searchHubModels(options: SearchHubModelsOptions): Promise<HubModelSummary[]> {
  const hub = resolveHub(options);
  const out: HubModelSummary[] = [];
  try {
    for await (const m of listModels({
      search: { query: options.query, task: 'text-generation' },
      limit: options.limit ?? 20,
      sort: 'downloads',
      hubUrl: hub.hubUrl,
      accessToken: hub.accessToken,
      fetch: hub.fetch,
    })) {
      out.push({ id: m.name, downloads: m.downloads, likes: m.likes, gated: m.gated, private: m.private, task: m.task, updatedAt: m.updatedAt });
    }
  } catch (error) {
    throw hubError(error, `searching the Hub for ${JSON.stringify(options.query)}`);
  }
  return out;
}

export interface ListHubFilesOptions extends HubConnection {
  repo: string;
  revision?: string;
}

export async function listHubFiles(options: ListHubFilesOptions): Promise<HubFile[]> {
  const hub = resolveHub(options);
  const files: HubFile[] = [];
  try {
    for await (const entry of listFiles({ repo: options.repo, revision: options.revision, recursive: true, hubUrl: hub.hubUrl, accessToken: hub.accessToken, fetch: hub.fetch })) {
      if (entry.type !== 'file') continue;
      const sha256 = entry.lfs?.oid;
      files.push({ path: entry.path, size: entry.lfs?.size ?? entry.size, ...(sha256 ? { sha256 } : { gitOid: entry.oid }) });
    }
  } catch (error) {
    throw hubError(error, `listing ${options.repo}`);
  }
  return files;
}

/** The commit a revision (branch, tag or sha) points at, so a download is one consistent snapshot. */
export async function resolveHubRevision(options: ListHubFilesOptions): Promise<{ commit: string; gated: false | 'auto' | 'manual' }> {
  const hub = resolveHub(options);
  try {
    const info = await modelInfo({ name: options.repo, revision: options.revision, additionalFields: ['sha'], hubUrl: hub.hubUrl, accessToken: hub.accessToken, fetch: hub.fetch });
    return { commit: (info as { sha?: string }).sha ?? options.revision ?? 'main', gated: info.gated };
  } catch (error) {
    throw hubError(error, `looking up ${options.repo}@${options.revision ?? 'main'}`);
  }
}
