// jobs.watch: a job's events as an async iterator. socket.io only says that something changed
// (`job:update` with the newest sequence number); the events themselves are read through tRPC
// after the last sequence number this iterator yielded. The same read runs on every (re)connect
// and on the server's `job:resync`, so a dropped connection or a restarted web process loses and
// repeats nothing. A slow timer reads too, in case a notice is lost while connected.
import { io, type Socket } from 'socket.io-client';

export interface JobEvent {
  /** `ftevent-…` */
  id: string;
  object: 'fine_tuning.job.event';
  /** Increases by one per event of the job; the catch-up cursor. */
  seq: number;
  created_at: number;
  level: 'info' | 'warn' | 'error';
  type: 'message' | 'metrics';
  message: string;
  /** For `metrics` events: step, total_steps, train_loss, … */
  data: Record<string, unknown>;
}

export interface WatchOptions {
  /** Yield only events after this sequence number (default 0: all of them). */
  afterSeq?: number;
  signal?: AbortSignal;
  /** Read even without a notice this often (default 5 s). */
  pollMs?: number;
  /** Called on socket connects, for diagnostics: `connect`, `disconnect`, `reconnect`. */
  onConnection?: (state: 'connect' | 'disconnect') => void;
}

const FINAL = new Set(['succeeded', 'failed', 'cancelled']);

export async function* watchJob(args: {
  baseUrl: string;
  apiKey: string;
  jobId: string;
  options: WatchOptions;
  events: (afterSeq: number) => Promise<{ events: JobEvent[]; hasMore: boolean }>;
  status: () => Promise<string>;
}): AsyncGenerator<JobEvent, void, undefined> {
  const { options } = args;
  let lastSeq = options.afterSeq ?? 0;
  let wake: (() => void) | null = null;
  let pending = true;
  const nudge = () => {
    pending = true;
    wake?.();
  };
  const rawId = args.jobId.startsWith('ftjob-') ? args.jobId.slice('ftjob-'.length) : args.jobId;

  const socket: Socket = io(args.baseUrl, {
    path: '/socket.io',
    auth: { token: args.apiKey },
    withCredentials: false,
    reconnectionDelay: 200,
    reconnectionDelayMax: 2_000,
    transports: ['websocket', 'polling'],
  });
  socket.on('connect', () => {
    options.onConnection?.('connect');
    socket.emit('job:subscribe', rawId, () => nudge());
  });
  socket.on('disconnect', () => options.onConnection?.('disconnect'));
  socket.on('job:update', (note: { jobId?: string; seq?: number }) => {
    if (note.jobId === rawId && (note.seq === undefined || note.seq > lastSeq)) nudge();
    else if (note.jobId === rawId) nudge();
  });
  socket.on('job:resync', nudge);
  const poll = setInterval(nudge, options.pollMs ?? 5_000);
  const onAbort = () => nudge();
  options.signal?.addEventListener('abort', onAbort);

  try {
    for (;;) {
      if (options.signal?.aborted) return;
      if (!pending) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          if (pending || options.signal?.aborted) resolve();
        });
        wake = null;
        continue;
      }
      pending = false;
      // Read the status before the events: events written before the job ended are then all read.
      let status: string;
      let page: { events: JobEvent[]; hasMore: boolean };
      try {
        status = await args.status();
        page = await args.events(lastSeq);
      } catch (error) {
        // A web process that is restarting refuses for a moment; a later nudge reads again.
        if (isTransient(error)) {
          await new Promise((r) => setTimeout(r, 500));
          pending = true;
          continue;
        }
        throw error;
      }
      for (const event of page.events) {
        if (event.seq <= lastSeq) continue;
        lastSeq = event.seq;
        yield event;
      }
      if (page.hasMore) {
        pending = true;
        continue;
      }
      if (FINAL.has(status)) return;
    }
  } finally {
    clearInterval(poll);
    options.signal?.removeEventListener('abort', onAbort);
    socket.disconnect();
  }
}

function isTransient(error: unknown): boolean {
  const status = (error as { status?: number }).status;
  return status === 0 || status === 502 || status === 503 || status === 504;
}
