import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';

export type DatasetInput = string | Readable;

export interface Line {
  /** 1-based. */
  number: number;
  /** The line without its terminator (\n or \r\n); only the first bytes when `oversized`. */
  bytes: Buffer;
  /** The line was longer than maxLineBytes; its bytes were not kept. */
  oversized: boolean;
  /** Full length of the line in bytes, terminator excluded. */
  byteLength: number;
}

export interface ReadLinesOptions {
  input: DatasetInput;
  maxLineBytes: number;
  /** Called with the bytes read so far, after each chunk. */
  onBytes?: (bytesRead: number) => void;
}

const CHUNK_BYTES = 1 << 20;
const OVERSIZED_PREFIX_BYTES = 64;

/**
 * Splits a byte stream into lines without decoding it, so invalid UTF-8 is seen per line.
 * Memory stays at one chunk plus one line, and at most maxLineBytes for a line: longer lines
 * are counted and reported as oversized, never buffered.
 */
export async function* readLines({ input, maxLineBytes, onBytes }: ReadLinesOptions): AsyncGenerator<Line> {
  const stream = typeof input === 'string' ? createReadStream(input, { highWaterMark: CHUNK_BYTES }) : input;
  let parts: Buffer[] = [];
  let partBytes = 0;
  let oversized = false;
  let prefix: Buffer | null = null;
  let number = 0;
  let bytesRead = 0;

  const finish = (tail: Buffer): Line => {
    number++;
    const byteLength = partBytes + tail.length;
    if (oversized || byteLength > maxLineBytes) {
      const head = prefix ?? (parts.length > 0 ? Buffer.concat(parts) : tail);
      const line = { number, bytes: Buffer.from(head.subarray(0, OVERSIZED_PREFIX_BYTES)), oversized: true, byteLength };
      parts = [];
      partBytes = 0;
      oversized = false;
      prefix = null;
      return line;
    }
    let bytes = parts.length === 0 ? tail : Buffer.concat([...parts, tail], byteLength);
    parts = [];
    partBytes = 0;
    if (bytes.length > 0 && bytes[bytes.length - 1] === 0x0d) bytes = bytes.subarray(0, bytes.length - 1);
    return { number, bytes, oversized: false, byteLength };
  };

  try {
    for await (const raw of stream) {
      const chunk = toBuffer(raw);
      bytesRead += chunk.length;
      let start = 0;
      while (start < chunk.length) {
        const newline = chunk.indexOf(0x0a, start);
        if (newline === -1) {
          const rest = chunk.subarray(start);
          if (oversized) partBytes += rest.length;
          else if (partBytes + rest.length > maxLineBytes) {
            prefix = Buffer.concat([...parts, rest]).subarray(0, OVERSIZED_PREFIX_BYTES);
            parts = [];
            partBytes += rest.length;
            oversized = true;
          } else {
            // Copy: the stream may reuse its chunk buffers.
            parts.push(Buffer.from(rest));
            partBytes += rest.length;
          }
          break;
        }
        yield finish(chunk.subarray(start, newline));
        start = newline + 1;
      }
      onBytes?.(bytesRead);
    }
    if (partBytes > 0 || oversized) yield finish(Buffer.alloc(0));
  } finally {
    if (typeof input === 'string') (stream as ReturnType<typeof createReadStream>).destroy();
  }
}

/** Streams made from web streams yield Uint8Array chunks, text streams strings: all become Buffers. */
function toBuffer(raw: unknown): Buffer {
  if (Buffer.isBuffer(raw)) return raw;
  if (typeof raw === 'string') return Buffer.from(raw, 'utf8');
  if (raw instanceof Uint8Array) return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  throw new TypeError(`A dataset stream must yield bytes or strings, not ${typeof raw}.`);
}
