// Dataset uploads through Lathe's resumable endpoint (tus 1.0 at /api/uploads). A dropped
// connection is retried from the offset the server reports, so nothing is sent twice; the last
// answer names the dataset the upload became (`Lathe-Dataset-Id`).
import { Upload } from 'tus-js-client';
import { LatheApiError } from './errors';

/** A path (Node), a Blob or File (browsers and Node), or bytes. */
export type UploadSource = string | Blob | Uint8Array;

export interface UploadProgress {
  bytesSent: number;
  bytesTotal: number;
  /** 0..1 */
  fraction: number;
}

export interface UploadOptions {
  /** The dataset's display name (default: the file name). */
  name?: string;
  /** The file name stored with the dataset (default: the path's base name, the File's name or `dataset.jsonl`). */
  filename?: string;
  onProgress?: (progress: UploadProgress) => void;
  signal?: AbortSignal;
  /**
   * Bytes per PATCH request (default: the whole file in one request; the server stores and syncs it
   * as it arrives, and a dropped connection resumes from what it kept).
   */
  chunkSize?: number;
  /** Waits between retries after a failed request, in ms (default 0.5 s, 1 s, 2 s, 4 s, 8 s, 8 s). */
  retryDelays?: number[];
}

async function openSource(source: UploadSource, filename: string | undefined) {
  if (typeof source === 'string') {
    // Node only: a path. Read as a stream that tus-js-client reopens at any offset to resume.
    const fs = await import('node:fs');
    const size = (await fs.promises.stat(source)).size;
    const base = source.split(/[\\/]/).pop() || 'dataset.jsonl';
    return { file: fs.createReadStream(source) as unknown as Blob, size, filename: filename ?? base };
  }
  if (typeof Blob !== 'undefined' && source instanceof Blob) {
    const named = (source as Blob & { name?: string }).name;
    return { file: source, size: source.size, filename: filename ?? named ?? 'dataset.jsonl' };
  }
  const bytes = source as Uint8Array;
  // Browsers read Blobs, Node Buffers: give each what its tus stack reads.
  const isNode = typeof process !== 'undefined' && Boolean(process.versions?.node);
  const file = isNode ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) : new Blob([bytes as BlobPart]);
  return { file: file as unknown as Blob, size: bytes.byteLength, filename: filename ?? 'dataset.jsonl' };
}

export async function uploadDataset({ baseUrl, apiKey, source, options }: { baseUrl: string; apiKey: string; source: UploadSource; options: UploadOptions }): Promise<string> {
  const { file, size, filename } = await openSource(source, options.filename);
  options.signal?.throwIfAborted();
  return new Promise<string>((resolve, reject) => {
    const upload = new Upload(file, {
      endpoint: `${baseUrl}/api/uploads`,
      uploadSize: size,
      chunkSize: options.chunkSize ?? Infinity,
      retryDelays: options.retryDelays ?? [500, 1000, 2000, 4000, 8000, 8000],
      headers: { authorization: `Bearer ${apiKey}` },
      metadata: { filename, filetype: 'application/jsonl', ...(options.name ? { datasetName: options.name } : {}) },
      removeFingerprintOnSuccess: true,
      // A 4xx other than a conflict or a lock will not get better by trying again.
      onShouldRetry: (error) => {
        const status = (error as { originalResponse?: { getStatus(): number } | null }).originalResponse?.getStatus() ?? 0;
        return status === 0 || status === 409 || status === 423 || status >= 500;
      },
      onProgress: (sent, total) => options.onProgress?.({ bytesSent: sent, bytesTotal: total, fraction: total > 0 ? sent / total : 1 }),
      onSuccess: (payload) => {
        const id = payload.lastResponse.getHeader('Lathe-Dataset-Id') ?? payload.lastResponse.getHeader('lathe-dataset-id');
        if (id) resolve(id);
        else reject(new LatheApiError('The upload finished but Lathe did not name the dataset it became.', { code: 'upload_incomplete', status: payload.lastResponse.getStatus() }));
      },
      onError: (error) => {
        const response = (error as { originalResponse?: { getStatus(): number; getBody(): string } | null }).originalResponse;
        const status = response?.getStatus() ?? 0;
        const body = response?.getBody()?.trim();
        reject(new LatheApiError(body || error.message, { code: status === 413 ? 'file_too_large' : status === 0 ? 'connection_error' : `upload_${status}`, status, cause: error }));
      },
    });
    options.signal?.addEventListener(
      'abort',
      () => {
        void upload.abort(true).finally(() => reject(options.signal!.reason ?? new Error('aborted')));
      },
      { once: true },
    );
    upload.start();
  });
}
