'use client';
// A job page's live data: its events, fetched after the last seq held whenever the socket says
// something changed, so a reconnect catches up from the database and nothing is read twice.
import { useCallback, useEffect, useRef, useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import type { inferRouterOutputs } from '@trpc/server';
import { mergeEvents } from '@/lib/realtime/merge-events';
import { useJobUpdates, type JobSignal } from '@/lib/realtime/use-job-updates';
import { useTRPC, useTRPCClient } from '@/lib/trpc/client';
import type { AppRouter } from '@/server/api/root';

export type LiveJobEvent = inferRouterOutputs<AppRouter>['job']['events']['events'][number];

/** Fallback while the socket is down or refused: how often the page re-reads the job. */
export const POLL_INTERVAL_MS = 3_000;
// Progress notes arrive about once a second per job; job and checkpoints are re-read at most this often.
const REFRESH_THROTTLE_MS = 500;
const PAGE_SIZE = 1_000;

export interface JobLive {
  /** Every event of the job so far, ascending by seq. */
  events: LiveJobEvent[];
  /** True once the first read finished. */
  loaded: boolean;
  /** True while updates arrive over the socket (no polling); false while polling every 3 s. */
  live: boolean;
  error: string | null;
}

/**
 * Follows one job (its raw id, as job.get's `rawId`): subscribes to its socket.io room and, on
 * each update, reads the events after the last seq it holds and refreshes job.get and
 * job.checkpoints. Polls every 3 s instead while the socket is not connected and `active`
 * (the job is not final) is true.
 */
export function useJobLive(jobId: string | undefined, { active = true }: { active?: boolean } = {}): JobLive {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const queryClient = useQueryClient();
  const [state, setState] = useState<{ jobId: string | undefined; events: LiveJobEvent[]; loaded: boolean; error: string | null }>({
    jobId,
    events: [],
    loaded: false,
    error: null,
  });
  const lastSeq = useRef(0);
  const reading = useRef(false);
  const readAgain = useRef(false);
  const refreshTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const currentJob = useRef(jobId);

  const readEvents = useCallback(async () => {
    if (!jobId) return;
    if (reading.current) {
      readAgain.current = true;
      return;
    }
    reading.current = true;
    try {
      do {
        readAgain.current = false;
        let more = true;
        while (more && currentJob.current === jobId) {
          const page = await client.job.events.query({ id: jobId, afterSeq: lastSeq.current, limit: PAGE_SIZE });
          if (currentJob.current !== jobId) return;
          more = page.hasMore;
          const newest = page.events.at(-1);
          if (newest) lastSeq.current = Math.max(lastSeq.current, newest.seq);
          setState((s) => (s.jobId === jobId ? { ...s, events: mergeEvents(s.events, page.events), loaded: true, error: null } : s));
          if (page.events.length === 0) more = false;
        }
      } while (readAgain.current && currentJob.current === jobId);
    } catch (error) {
      setState((s) => (s.jobId === jobId ? { ...s, loaded: true, error: error instanceof Error ? error.message : String(error) } : s));
    } finally {
      reading.current = false;
    }
  }, [client, jobId]);

  const refreshJob = useCallback(() => {
    if (refreshTimer.current) return;
    refreshTimer.current = setTimeout(() => {
      refreshTimer.current = undefined;
      void queryClient.invalidateQueries(trpc.job.get.queryFilter());
      void queryClient.invalidateQueries(trpc.job.checkpoints.queryFilter());
    }, REFRESH_THROTTLE_MS);
  }, [queryClient, trpc]);

  const onSignal = useCallback(
    (signal: JobSignal) => {
      // Any note may come with a changed job row or a new checkpoint (the runner stores a checkpoint
      // after announcing it), so both are re-read, at most twice a second.
      refreshJob();
      if (signal.jobId === null || signal.seq === undefined || signal.seq > lastSeq.current) void readEvents();
    },
    [readEvents, refreshJob],
  );

  // A different job starts from nothing.
  if (state.jobId !== jobId) setState({ jobId, events: [], loaded: false, error: null });
  useEffect(() => {
    currentJob.current = jobId;
    lastSeq.current = 0;
    reading.current = false;
    readAgain.current = false;
    void readEvents();
  }, [jobId, readEvents]);

  const live = useJobUpdates(jobId ? [jobId] : [], onSignal);

  useEffect(() => {
    if (live || !active || !jobId) return;
    const timer = setInterval(() => {
      refreshJob();
      void readEvents();
    }, POLL_INTERVAL_MS);
    return () => clearInterval(timer);
  }, [live, active, jobId, readEvents, refreshJob]);

  useEffect(() => () => clearTimeout(refreshTimer.current), []);

  return { events: state.events, loaded: state.loaded, live, error: state.error };
}
