import { createHash, type Hash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { downloadFile, fileDownloadInfo } from '@huggingface/hub';
import { ModelError } from '../model-format/errors';
import { hubError, listHubFiles, resolveHub, resolveHubRevision, type HubConnection, type HubFile } from './hub-client';

export interface DownloadProgress {
  file: string;
  fileBytes: number;
  fileSize: number;
  bytes: number;
  totalBytes: number;
  filesDone: number;
  filesTotal: number;
}

export interface DownloadHfRepoOptions extends HubConnection {
  repo: string;
  /** Branch, tag or commit; default main. */
  revision?: string;
  destDir: string;
  onProgress?: (progress: DownloadProgress) => void;
  /** Which repo files to fetch; default: weights (safetensors), configs, tokenizer files, README and licence. */
  include?: (file: HubFile) => boolean;
  /** Attempts without progress before a file counts as truncated (default 5). */
  maxRetries?: number;
  /** First pause between attempts, doubled each time (default 500 ms). */
  retryDelayMs?: number;
  /** Sees the files to fetch and their total size before any byte is downloaded; may refuse them by throwing. */
  beforeDownload?: (files: HubFile[], totalBytes: number) => Promise<void>;
}

export interface DownloadHfRepoResult {
  repo: string;
  commit: string;
  files: Array<{ path: string; size: number; sha256?: string }>;
  bytes: number;
}

const MODEL_FILES = [
  /^config\.json$/,
  /^generation_config\.json$/,
  /^tokenizer(_config)?\.json$/,
  /^tokenizer\.model$/,
  /^special_tokens_map\.json$/,
  /^added_tokens\.json$/,
  /^chat_template\.(jinja|json)$/,
  /^(vocab\.json|merges\.txt)$/,
  /^README\.md$/,
  /^LICEN[CS]E(\.\w+)?$/i,
  /^[^/]+\.safetensors$/,
  /^model\.safetensors\.index\.json$/,
  /^adapter_config\.json$/,
];

export function isModelFile(file: HubFile): boolean {
  return MODEL_FILES.some((re) => re.test(file.path));
}

function safeJoin(dir: string, relative: string): string {
  const full = path.resolve(dir, relative);
  if (!full.startsWith(path.resolve(dir) + path.sep)) throw new ModelError('hub_error', `refusing to write outside the download folder: ${relative}`);
  return full;
}

/**
 * Downloads a Hub repo snapshot into destDir. Each file is written to `<name>.part` with HTTP Range
 * requests, resumed after a dropped connection (and across calls), checked against the Hub's size
 * and SHA-256 (or git blob id), and only then renamed to its real name. A file that stops short
 * after every retry is a truncated_download error, never a model.
 */
export async function downloadHfRepo(options: DownloadHfRepoOptions): Promise<DownloadHfRepoResult> {
  const { commit } = await resolveHubRevision(options);
  const all = await listHubFiles({ ...options, revision: commit });
  const files = all.filter(options.include ?? isModelFile);
  if (!files.some((f) => f.path.endsWith('.safetensors')) && !options.include) {
    throw new ModelError('missing_weights', `${options.repo} has no .safetensors weights${all.some((f) => /\.(bin|pt|pth)$/.test(f.path)) ? ' (only PyTorch pickles, which Lathe does not load)' : ''}`);
  }
  const totalBytes = files.reduce((s, f) => s + f.size, 0);
  await options.beforeDownload?.(files, totalBytes);
  await mkdir(options.destDir, { recursive: true });
  let doneBytes = 0;
  for (const [index, file] of files.entries()) {
    await downloadOne(options, commit, file, (fileBytes) =>
      options.onProgress?.({ file: file.path, fileBytes, fileSize: file.size, bytes: doneBytes + fileBytes, totalBytes, filesDone: index, filesTotal: files.length }),
    );
    doneBytes += file.size;
    options.onProgress?.({ file: file.path, fileBytes: file.size, fileSize: file.size, bytes: doneBytes, totalBytes, filesDone: index + 1, filesTotal: files.length });
  }
  return { repo: options.repo, commit, files: files.map((f) => ({ path: f.path, size: f.size, sha256: f.sha256 })), bytes: totalBytes };
}

class Digest {
  private readonly hash: Hash;

  constructor(private readonly file: HubFile) {
    this.hash = createHash(file.sha256 ? 'sha256' : 'sha1');
    if (!file.sha256) this.hash.update(`blob ${file.size}\0`);
  }
  update(chunk: Uint8Array) {
    this.hash.update(chunk);
  }
  matches(): { ok: boolean; actual: string; expected?: string } {
    const actual = this.hash.digest('hex');
    const expected = this.file.sha256 ?? this.file.gitOid;
    return { ok: !expected || actual === expected, actual, expected };
  }
}

async function hashFile(file: string, digest: Digest, length: number): Promise<void> {
  if (length === 0) return;
  for await (const chunk of createReadStream(file, { start: 0, end: length - 1 })) digest.update(chunk as Buffer);
}

async function downloadOne(options: DownloadHfRepoOptions, commit: string, file: HubFile, progress: (bytes: number) => void): Promise<void> {
  const final = safeJoin(options.destDir, file.path);
  const part = `${final}.part`;
  await mkdir(path.dirname(final), { recursive: true });
  if (existsSync(final) && (await stat(final)).size === file.size) {
    const digest = new Digest(file);
    await hashFile(final, digest, file.size);
    if (digest.matches().ok) return;
  }

  const hub = resolveHub(options);
  let rangeIgnored = false;
  // Sees every response so that a server ignoring Range (200 instead of 206) cannot splice bytes.
  const guardedFetch: typeof fetch = async (input, init) => {
    const response = await hub.fetch(input, init);
    const range = new Headers(init?.headers).get('Range');
    if (range && !range.startsWith('bytes=0-') && response.status === 200) {
      rangeIgnored = true;
      await response.body?.cancel();
      throw new Error('the server ignored the Range request');
    }
    return response;
  };
  const params = { repo: options.repo, path: file.path, revision: commit, hubUrl: hub.hubUrl, accessToken: hub.accessToken, fetch: guardedFetch };
  let info: Awaited<ReturnType<typeof fileDownloadInfo>>;
  try {
    info = await fileDownloadInfo(params);
  } catch (error) {
    throw hubError(error, `${options.repo}/${file.path}`);
  }
  if (!info) throw new ModelError('hub_not_found', `${options.repo}/${file.path} is listed but cannot be downloaded`);
  if (info.size !== file.size) {
    throw new ModelError('hub_error', `${options.repo}/${file.path}: the Hub lists ${file.size} bytes but serves ${info.size}`);
  }

  let offset = existsSync(part) ? (await stat(part)).size : 0;
  if (offset > file.size) offset = 0;
  const handle: FileHandle = await open(part, offset > 0 ? 'r+' : 'w');
  try {
    await handle.truncate(offset);
    let digest = new Digest(file);
    await hashFile(part, digest, offset);
    progress(offset);

    const maxRetries = options.maxRetries ?? 5;
    let failures = 0;
    let lastError = '';
    while (offset < file.size) {
      if (options.signal?.aborted) throw new ModelError('aborted', `download of ${options.repo} was cancelled`);
      const before = offset;
      try {
        const blob = await downloadFile({ ...params, downloadInfo: info, xet: false });
        if (!blob) throw new ModelError('hub_not_found', `${options.repo}/${file.path} disappeared from the Hub`);
        const reader = blob.slice(offset).stream().getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          if (offset + value.byteLength > file.size) throw new ModelError('hub_error', `${file.path}: the server sent more than ${file.size} bytes`);
          await handle.write(value, 0, value.byteLength, offset);
          digest.update(value);
          offset += value.byteLength;
          progress(offset);
        }
        if (offset < file.size) lastError = `connection closed at byte ${offset} of ${file.size}`;
      } catch (error) {
        if (error instanceof ModelError && error.code !== 'hub_error') throw error;
        if (options.signal?.aborted) throw new ModelError('aborted', `download of ${options.repo} was cancelled`);
        const mapped = typeof error === 'string' ? error : hubError(error, file.path);
        if (mapped instanceof ModelError && (mapped.code === 'hub_unauthorized' || mapped.code === 'hub_not_found')) throw mapped;
        lastError = typeof mapped === 'string' ? mapped : mapped.message;
      }
      if (rangeIgnored) {
        // Start this file over from byte 0 without ranges.
        rangeIgnored = false;
        offset = 0;
        await handle.truncate(0);
        digest = new Digest(file);
        progress(0);
      }
      if (offset < file.size) {
        failures = offset > before ? 0 : failures + 1;
        if (failures > maxRetries) {
          throw new ModelError('truncated_download', `${options.repo}/${file.path} stopped at byte ${offset} of ${file.size} after ${maxRetries} retries: ${lastError}`, {
            file: file.path,
            bytes: offset,
            size: file.size,
          });
        }
        await new Promise((r) => setTimeout(r, (options.retryDelayMs ?? 500) * 2 ** Math.max(0, failures - 1)));
      }
    }
    await handle.sync();
    const check = digest.matches();
    if (!check.ok) {
      await handle.close();
      await rm(part, { force: true });
      throw new ModelError('checksum_mismatch', `${options.repo}/${file.path} downloaded with hash ${check.actual}, the Hub says ${check.expected}`, { file: file.path });
    }
  } finally {
    await handle.close().catch(() => undefined);
  }
  await rename(part, final);
}
