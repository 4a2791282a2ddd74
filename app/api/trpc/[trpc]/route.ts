import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { TRPCError } from '@trpc/server';
import { appRouter } from '@/server/api/root';
import { TEXT_UPLOAD_MAX_BYTES } from '@/server/api/routers/dataset/router';
import { createContext } from '@/server/api/trpc';
import { publicUrl } from '@/server/env';
import { bodyTooLarge, CLOSE_AFTER_ANSWER, limitRequestBody, maxJsonBodyBytes } from '@/server/services/request-body/read-body';

/** dataset.createFromText carries a whole file, which JSON escaping may double; every other input is small. */
function bodyLimit(req: Request): number {
  const procedures = new URL(req.url).pathname.split('/').pop()?.split(',') ?? [];
  return procedures.includes('dataset.createFromText') ? Math.max(maxJsonBodyBytes(), 2 * TEXT_UPLOAD_MAX_BYTES + 64 * 1024) : maxJsonBodyBytes();
}

const handler = (req: Request) => {
  const maxBytes = bodyLimit(req);
  return fetchRequestHandler({
    endpoint: '/api/trpc',
    // tRPC answers the error its body stream fails with, in its own shape, for each call.
    req: limitRequestBody(req, maxBytes, () => {
      const cause = bodyTooLarge(maxBytes);
      return new TRPCError({ code: 'PAYLOAD_TOO_LARGE', message: cause.message, cause });
    }),
    router: appRouter,
    createContext: ({ resHeaders }) => createContext({ headers: req.headers, baseUrl: publicUrl(), resHeaders }),
    responseMeta: ({ errors }) => (errors.some((e) => e.code === 'PAYLOAD_TOO_LARGE') ? { headers: CLOSE_AFTER_ANSWER } : {}),
  });
};

export { handler as GET, handler as POST };
