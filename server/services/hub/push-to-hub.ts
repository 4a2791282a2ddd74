// Pushes a folder of files to a model repo on the Hugging Face Hub, in the Hub's HTTP API shape:
// who the token belongs to (whoami-v2), repo creation (POST /api/repos/create, 409 when it exists),
// weights through Git LFS (objects/batch, then PUT to the href it gives) and one commit
// (POST /api/models/{repo}/commit/{branch}, NDJSON) holding the small files inline and the LFS
// pointers. A repo in a namespace the token does not own is refused before anything is written.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { ModelError } from '../model-format/errors';
import { resolveHub, type HubConnection } from './hub-client';

export interface PushFile {
  /** Path inside the repo. */
  path: string;
  /** A file on disk, or the content itself. */
  source: { file: string } | { content: string | Uint8Array };
}

export interface PushProgress {
  phase: 'checking' | 'creating' | 'uploading' | 'committing' | 'done';
  bytes: number;
  totalBytes: number;
}

export interface PushToHubOptions extends HubConnection {
  /** "namespace/name". */
  repo: string;
  files: PushFile[];
  private?: boolean;
  commitMessage: string;
  onProgress?: (progress: PushProgress) => void;
}

export interface PushToHubResult {
  repo: string;
  url: string;
  commitOid: string | null;
  created: boolean;
  files: { path: string; size: number; lfs: boolean }[];
}

/** Weights and large files go through LFS, as the Hub refuses binary files in git itself. */
const isLfs = (p: string, size: number) => /\.(safetensors|bin|gguf|pt|pth|zip)$/.test(p) || size > 10 * 1024 * 1024;

export const ZHubRepoId = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,95}\/[A-Za-z0-9][A-Za-z0-9_.-]{0,95}$/;

async function sizeOf(f: PushFile): Promise<number> {
  return 'file' in f.source ? (await stat(f.source.file)).size : Buffer.byteLength(f.source.content);
}

async function bytesOf(f: PushFile): Promise<Buffer> {
  return 'file' in f.source ? readFile(f.source.file) : Buffer.from(f.source.content);
}

async function sha256Of(f: PushFile): Promise<string> {
  const hash = createHash('sha256');
  if ('content' in f.source) return hash.update(f.source.content).digest('hex');
  const handle = await open(f.source.file);
  try {
    for await (const chunk of handle.createReadStream()) hash.update(chunk as Buffer);
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}

async function failure(res: Response, what: string): Promise<ModelError> {
  const text = await res.text().catch(() => '');
  let message = text.slice(0, 300);
  try {
    message = (JSON.parse(text) as { error?: string }).error ?? message;
  } catch {
    // not JSON: keep the text
  }
  if (res.status === 401) return new ModelError('hub_unauthorized', `${what}: the Hub refused the organization's token (401); set a valid token with write access in the organization's settings`, { status: 401 });
  if (res.status === 403) return new ModelError('hub_repo_not_ours', `${what}: the token may not write there (403): ${message}`, { status: 403 });
  return new ModelError('hub_error', `${what}: the Hub answered ${res.status}: ${message}`, { status: res.status });
}

export async function pushToHub(options: PushToHubOptions): Promise<PushToHubResult> {
  if (!ZHubRepoId.test(options.repo)) throw new ModelError('hub_error', `"${options.repo}" is not a Hub repo id: write it as namespace/name`);
  if (!options.token) throw new ModelError('hub_no_token', "the organization has no Hugging Face token: add one with write access in the organization's settings");
  const hub = resolveHub(options);
  const headers = { Authorization: `Bearer ${hub.accessToken}` };
  const [namespace, name] = options.repo.split('/') as [string, string];
  const sizes = await Promise.all(options.files.map(sizeOf));
  const totalBytes = sizes.reduce((a, b) => a + b, 0);
  let bytes = 0;
  const report = (phase: PushProgress['phase']) => options.onProgress?.({ phase, bytes, totalBytes });
  const call = async (what: string, url: string, init: RequestInit) => {
    try {
      return await hub.fetch(url, init);
    } catch (error) {
      if ((error as Error)?.name === 'AbortError') throw new ModelError('aborted', `${what}: cancelled`);
      throw new ModelError('hub_error', `${what}: ${(error as Error).message}`, {}, { cause: error });
    }
  };

  report('checking');
  const who = await call('checking the token', `${hub.hubUrl}/api/whoami-v2`, { headers });
  if (!who.ok) throw await failure(who, 'checking the token');
  const me = (await who.json()) as { name?: string; orgs?: { name?: string }[] };
  const owned = new Set([me.name, ...(me.orgs ?? []).map((o) => o.name)].filter(Boolean));
  if (!owned.has(namespace)) {
    throw new ModelError('hub_repo_not_ours', `${options.repo} is outside the token's namespaces (${[...owned].join(', ') || 'none'}): push to a repo under one of them`, { status: 403 });
  }

  report('creating');
  const created = await call(`creating ${options.repo}`, `${hub.hubUrl}/api/repos/create`, {
    method: 'POST',
    headers: { ...headers, 'Content-Type': 'application/json' },
    body: JSON.stringify({ type: 'model', name, ...(namespace !== me.name ? { organization: namespace } : {}), private: options.private ?? true }),
  });
  if (!created.ok && created.status !== 409) throw await failure(created, `creating ${options.repo}`);

  const lines: unknown[] = [{ key: 'header', value: { summary: options.commitMessage, description: '' } }];
  const pushed: PushToHubResult['files'] = [];
  report('uploading');
  for (const [i, file] of options.files.entries()) {
    const size = sizes[i]!;
    if (isLfs(file.path, size)) {
      const oid = await sha256Of(file);
      const batch = await call(`uploading ${file.path}`, `${hub.hubUrl}/${options.repo}.git/info/lfs/objects/batch`, {
        method: 'POST',
        headers: { ...headers, Accept: 'application/vnd.git-lfs+json', 'Content-Type': 'application/vnd.git-lfs+json' },
        body: JSON.stringify({ operation: 'upload', transfers: ['basic'], hash_algo: 'sha256', objects: [{ oid, size }] }),
      });
      if (!batch.ok) throw await failure(batch, `uploading ${file.path}`);
      const answer = (await batch.json()) as { objects?: { oid: string; actions?: { upload?: { href: string; header?: Record<string, string> } }; error?: { message: string } }[] };
      const object = answer.objects?.find((o) => o.oid === oid);
      if (object?.error) throw new ModelError('hub_error', `uploading ${file.path}: ${object.error.message}`);
      const upload = object?.actions?.upload;
      // No upload action: the Hub holds this content already.
      if (upload) {
        // Weights stream from disk: a merged model may be larger than the worker's memory.
        const body = 'file' in file.source ? (Readable.toWeb(createReadStream(file.source.file)) as ReadableStream<Uint8Array>) : new Uint8Array(await bytesOf(file));
        const put = await call(`uploading ${file.path}`, upload.href, {
          method: 'PUT',
          headers: { ...upload.header, 'Content-Type': 'application/octet-stream', 'Content-Length': String(size) },
          body,
          duplex: 'half',
        } as RequestInit);
        if (!put.ok) throw await failure(put, `uploading ${file.path}`);
      }
      lines.push({ key: 'lfsFile', value: { path: file.path, algo: 'sha256', oid, size } });
    } else {
      lines.push({ key: 'file', value: { path: file.path, content: (await bytesOf(file)).toString('base64'), encoding: 'base64' } });
    }
    pushed.push({ path: file.path, size, lfs: isLfs(file.path, size) });
    bytes += size;
    report('uploading');
  }

  report('committing');
  const commit = await call(`committing to ${options.repo}`, `${hub.hubUrl}/api/models/${options.repo}/commit/main`, {
    method: 'POST',
    headers: { ...headers, 'Content-Type': 'application/x-ndjson' },
    body: lines.map((l) => JSON.stringify(l)).join('\n'),
  });
  if (!commit.ok) throw await failure(commit, `committing to ${options.repo}`);
  const done = (await commit.json().catch(() => ({}))) as { commitOid?: string; commitUrl?: string };
  report('done');
  return { repo: options.repo, url: `${hub.hubUrl}/${options.repo}`, commitOid: done.commitOid ?? null, created: created.ok, files: pushed };
}

/** The files of a folder (adapter or merged model), with README.md replaced by the given model card. */
export async function folderPushFiles(dir: string, card: string): Promise<PushFile[]> {
  const { readdir } = await import('node:fs/promises');
  const path = await import('node:path');
  const files: PushFile[] = [];
  for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.isFile() && entry.name !== 'README.md' && !entry.name.startsWith('.')) files.push({ path: entry.name, source: { file: path.join(dir, entry.name) } });
  }
  return [...files, { path: 'README.md', source: { content: card } }];
}
