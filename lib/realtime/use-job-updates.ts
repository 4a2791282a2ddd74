'use client';

import { useEffect, useRef, useState } from 'react';
import { acquireJobSocket, releaseJobSocket, type JobUpdate } from '@/lib/realtime/job-socket';

export type JobSignal = JobUpdate | { jobId: null; resync: true };

/**
 * Follows the socket.io rooms of some jobs. `onSignal` runs on every update of one of them, and
 * with `{ resync: true }` after each (re)connection and after the server's own database
 * connection came back, when updates may have been missed. Returns whether every job is
 * subscribed on a connected socket: callers poll while it is false.
 */
export function useJobUpdates(jobIds: readonly string[], onSignal: (signal: JobSignal) => void): boolean {
  const [live, setLive] = useState(false);
  const handler = useRef(onSignal);
  useEffect(() => {
    handler.current = onSignal;
  });
  const key = [...new Set(jobIds)].sort().join(',');

  useEffect(() => {
    const ids = key ? key.split(',') : [];
    if (ids.length === 0) {
      setLive(false);
      return;
    }
    const socket = acquireJobSocket();
    const wanted = new Set(ids);
    let current = true;

    const subscribe = () => {
      let pending = ids.length;
      let ok = true;
      for (const id of ids) {
        socket.emit('job:subscribe', id, (result) => {
          ok &&= result?.ok === true;
          pending -= 1;
          if (pending === 0 && current) setLive(ok && socket.connected);
        });
      }
      handler.current({ jobId: null, resync: true });
    };
    const onDisconnect = () => setLive(false);
    const onUpdate = (update: JobUpdate) => {
      if (wanted.has(update.jobId)) handler.current(update);
    };
    const onResync = () => handler.current({ jobId: null, resync: true });

    socket.on('connect', subscribe);
    socket.on('disconnect', onDisconnect);
    socket.on('connect_error', onDisconnect);
    socket.on('job:update', onUpdate);
    socket.on('job:resync', onResync);
    if (socket.connected) subscribe();

    return () => {
      current = false;
      socket.off('connect', subscribe);
      socket.off('disconnect', onDisconnect);
      socket.off('connect_error', onDisconnect);
      socket.off('job:update', onUpdate);
      socket.off('job:resync', onResync);
      if (socket.connected) for (const id of ids) socket.emit('job:unsubscribe', id);
      releaseJobSocket();
    };
  }, [key]);

  return live && key !== '';
}
