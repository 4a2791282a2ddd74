'use client';
// One socket.io connection per browser tab, shared by every component that follows jobs. The
// server authenticates it with the session cookie, so it is only opened from signed-in pages.
import { io, type Socket } from 'socket.io-client';

/** What the web server emits to a job's room (server/realtime/job-fanout.ts). */
export interface JobUpdate {
  jobId: string;
  seq?: number;
  status?: string;
}

export interface JobServerEvents {
  'job:update': (update: JobUpdate) => void;
  'job:resync': () => void;
}

export interface JobClientEvents {
  'job:subscribe': (jobId: string, ack: (result: { ok: boolean; error?: string }) => void) => void;
  'job:unsubscribe': (jobId: string) => void;
}

export type JobSocket = Socket<JobServerEvents, JobClientEvents>;

// Closing right away would reconnect on every client-side navigation between job pages.
const IDLE_CLOSE_MS = 5_000;

let socket: JobSocket | null = null;
let users = 0;
let closeTimer: ReturnType<typeof setTimeout> | undefined;

export function acquireJobSocket(): JobSocket {
  clearTimeout(closeTimer);
  users += 1;
  socket ??= io({ path: '/socket.io', withCredentials: true, reconnectionDelayMax: 5_000 });
  return socket;
}

export function releaseJobSocket(): void {
  users = Math.max(0, users - 1);
  if (users > 0) return;
  clearTimeout(closeTimer);
  closeTimer = setTimeout(() => {
    if (users > 0 || !socket) return;
    socket.disconnect();
    socket = null;
  }, IDLE_CLOSE_MS);
}
