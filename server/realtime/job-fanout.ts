// Runner → browsers: runners NOTIFY on JOB_CHANNEL, every web node LISTENs and forwards to the
// socket.io room of the job. Notifications carry ids only; clients read what changed through
// tRPC (after their last event seq), which is also how they catch up after a reconnect.
import pg from 'pg';
import type { Server, Socket } from 'socket.io';
import type { Db } from '@/server/db';
import { readSession, type SessionUser } from '@/server/auth/session';
import { authenticateApiKey, type ApiKeyPrincipal } from '@/server/services/api-keys/api-keys';
import { JOB_CHANNEL, type JobNotification } from '@/server/services/training/job-events';
import { logger } from '@/server/logger';

export const jobRoom = (jobId: string) => `job:${jobId}`;

/**
 * socket.io's handshake check. The dashboard connects with its session cookie; SDK clients with a
 * project API key, given as the handshake's `auth.token` (browsers cannot set headers on a
 * WebSocket) or a bearer header. A key then follows only its own project's jobs.
 */
export function authenticateSocket({ db, secret }: { db: Db; secret: string }) {
  return async (socket: Socket, next: (error?: Error) => void) => {
    const bearer = socketApiKey(socket.handshake.auth, socket.handshake.headers.authorization);
    if (bearer !== null) {
      const principal = await authenticateApiKey({ db, secret: bearer }).catch(() => null);
      if (!principal) return next(new Error('unauthorized'));
      socket.data.apiKey = principal;
      return next();
    }
    const session = await readSession(socket.handshake.headers.cookie, secret).catch(() => null);
    if (!session) return next(new Error('unauthorized'));
    socket.data.session = session;
    next();
  };
}

/** The API key a socket.io handshake presents (`auth.token`, or an `Authorization: Bearer` header), or null for none. */
export function socketApiKey(auth: unknown, authorization: string | undefined): string | null {
  const token = auth && typeof auth === 'object' ? (auth as { token?: unknown }).token : undefined;
  if (typeof token === 'string' && token.length > 0) return token.trim();
  if (authorization && /^Bearer\s+/i.test(authorization)) return authorization.replace(/^Bearer\s+/i, '').trim();
  return null;
}

export function startJobFanout({ io, db, databaseUrl }: { io: Server; db: Db; databaseUrl: string }) {
  let client: pg.Client | null = null;
  let stopped = false;
  let retryMs = 500;

  const connect = async () => {
    if (stopped) return;
    const c = new pg.Client({ connectionString: databaseUrl });
    c.on('error', (error) => logger.warn({ err: error }, 'job fan-out connection error'));
    c.on('end', () => {
      if (client === c) client = null;
      if (!stopped) setTimeout(() => void connect(), retryMs);
    });
    c.on('notification', (message) => {
      if (message.channel !== JOB_CHANNEL || !message.payload) return;
      try {
        const note = JSON.parse(message.payload) as JobNotification;
        io.to(jobRoom(note.jobId)).emit('job:update', note);
      } catch {
        // not ours
      }
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${JOB_CHANNEL}`);
      client = c;
      retryMs = 500;
      // Anything missed while disconnected is picked up by clients on this nudge.
      io.emit('job:resync');
    } catch (error) {
      logger.warn({ err: error }, 'job fan-out could not connect; retrying');
      retryMs = Math.min(10_000, retryMs * 2);
      await c.end().catch(() => {});
    }
  };
  void connect();

  io.on('connection', (socket) => {
    socket.on('job:subscribe', async (jobId: unknown, ack?: (result: { ok: boolean; error?: string }) => void) => {
      const user = socket.data.session as SessionUser | undefined;
      const key = socket.data.apiKey as ApiKeyPrincipal | undefined;
      if (typeof jobId !== 'string' || jobId.length > 64 || (!user && !key)) return ack?.({ ok: false, error: 'invalid' });
      // A key follows only the jobs of its own project; a person, those of their organizations.
      const job = await db.trainingJob.findFirst({
        where: key
          ? { id: jobId, organizationId: key.organizationId, projectId: key.projectId }
          : { id: jobId, organization: { memberships: { some: { userId: user!.userId } } } },
        select: { id: true },
      });
      if (!job) return ack?.({ ok: false, error: 'not_found' });
      await socket.join(jobRoom(jobId));
      ack?.({ ok: true });
    });
    socket.on('job:unsubscribe', (jobId: unknown) => {
      if (typeof jobId === 'string') void socket.leave(jobRoom(jobId));
    });
  });

  return {
    stop: async () => {
      stopped = true;
      await client?.end().catch(() => {});
    },
  };
}
