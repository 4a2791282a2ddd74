// Streams a multipart/form-data upload to a temporary file (never the whole body in memory),
// stopping at the size limit, and collects the text fields sent with it.
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import busboy from 'busboy';
import { LatheError } from '@/server/services/errors';
import { formatBytes } from '@/server/services/datasets/platform/config';

export interface ReceivedUpload {
  path: string;
  filename: string;
  size: number;
  fields: Record<string, string>;
  /** Removes the temporary file. */
  discard: () => Promise<void>;
}

const bad = (message: string, param: string | null = null, reason = 'invalid_request') => new LatheError('BAD_REQUEST', message, { ...(param ? { param } : {}), reason });

export async function receiveUpload(req: Request, { maxBytes, tmpDir, fileField = 'file' }: { maxBytes: number; tmpDir: string; fileField?: string }): Promise<ReceivedUpload> {
  const contentType = req.headers.get('content-type') ?? '';
  if (!/^multipart\/form-data/i.test(contentType)) throw bad(`Send the file as multipart/form-data with the fields "${fileField}" and "purpose" (got content type "${contentType || 'none'}").`);
  if (!req.body) throw bad('The request has no body.');
  await mkdir(tmpDir, { recursive: true });
  const target = path.join(tmpDir, `upload-${process.pid}-${randomBytes(8).toString('hex')}`);
  const discard = () => rm(target, { force: true });

  let parser: busboy.Busboy;
  try {
    parser = busboy({ headers: { 'content-type': contentType }, limits: { files: 1, fileSize: maxBytes, fields: 32, fieldSize: 64 * 1024 } });
  } catch (error) {
    throw bad(`The multipart body cannot be read: ${(error as Error).message}.`);
  }
  const fields: Record<string, string> = {};
  let received: { filename: string; size: number } | null = null;
  let tooLarge = false;
  let extraFile = false;
  let writing: Promise<void> | null = null;

  parser.on('field', (name, value) => {
    fields[name] = value;
  });
  parser.on('file', (name, stream, info) => {
    if (name !== fileField || writing) {
      extraFile = true;
      stream.resume();
      return;
    }
    const file = { filename: info.filename || 'file', size: 0 };
    stream.on('data', (chunk: Buffer) => (file.size += chunk.length));
    stream.on('limit', () => (tooLarge = true));
    writing = pipeline(stream, createWriteStream(target, { flags: 'wx' })).then(() => {
      received = file;
    });
  });

  try {
    await pipeline(Readable.fromWeb(req.body as unknown as WebReadableStream<Uint8Array>), parser as unknown as Writable);
    await writing;
  } catch (error) {
    await discard();
    if (error instanceof LatheError) throw error;
    throw bad(`The multipart body is malformed: ${(error as Error).message}.`);
  }
  const file = received as { filename: string; size: number } | null;
  if (tooLarge) {
    await discard();
    throw new LatheError('BAD_REQUEST', `The file is larger than ${formatBytes(maxBytes)}, the largest dataset Lathe accepts.`, { param: fileField, reason: 'file_too_large' });
  }
  if (!file) {
    await discard();
    throw bad(`The request has no "${fileField}" part${extraFile ? ' (a file was sent under another name)' : ''}.`, fileField, 'missing_file');
  }
  return { path: target, filename: file.filename, size: file.size, fields, discard };
}
