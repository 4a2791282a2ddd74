// The trainer's log for one run: every line appended to a file (stored with the job when the run
// ends) and handed on as it arrives, for the job page's live logs panel. A run that logs without
// end is cut off at MAX_LIVE_LINES live lines; the file keeps everything up to MAX_FILE_BYTES.
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import path from 'node:path';

export const MAX_LIVE_LINES = 20_000;
export const MAX_FILE_BYTES = 64 * 1024 * 1024;
const MAX_LINE_CHARS = 4_000;

export class TrainerLog {
  private stream: WriteStream | null = null;
  private lines = 0;
  private bytes = 0;
  private closed: Promise<{ file: string; lines: number } | null> | null = null;

  constructor(
    readonly file: string,
    private readonly onLine: (line: string) => void,
  ) {}

  write(raw: string): void {
    if (this.closed) return;
    const line = raw.length > MAX_LINE_CHARS ? `${raw.slice(0, MAX_LINE_CHARS)}…` : raw;
    if (!this.stream) {
      mkdirSync(path.dirname(this.file), { recursive: true });
      this.stream = createWriteStream(this.file, { flags: 'w' });
    }
    this.lines += 1;
    if (this.lines <= MAX_LIVE_LINES) this.onLine(line);
    else if (this.lines === MAX_LIVE_LINES + 1) this.onLine(`(the log goes on; download it for the lines after ${MAX_LIVE_LINES})`);
    const size = Buffer.byteLength(line) + 1;
    if (this.bytes + size > MAX_FILE_BYTES) return;
    this.bytes += size;
    this.stream.write(`${line}\n`);
  }

  /** Ends the file: its path and line count, or null when the trainer logged nothing. */
  close(): Promise<{ file: string; lines: number } | null> {
    this.closed ??= new Promise((resolve, reject) => {
      const stream = this.stream;
      if (!stream) return resolve(null);
      stream.on('error', reject);
      stream.end(() => resolve({ file: this.file, lines: this.lines }));
    });
    return this.closed;
  }
}
