import pino from 'pino';

// One structured logger per process; the process name is set by each entry point.
export const logger = pino({
  level: process.env.LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'warn' : 'info'),
  base: { process: process.env.LATHE_PROCESS ?? 'lathe' },
  redact: { paths: ['password', '*.password', 'token', '*.token', 'apiKey', 'authorization', '*.authorization'], censor: '[redacted]' },
});

export type Logger = typeof logger;
