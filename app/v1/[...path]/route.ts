// Any /v1 path without a route answers in OpenAI's error shape, not with an HTML page.
import { openAIError } from '@/server/api/rest/errors';

const unknownRoute = (req: Request) =>
  openAIError(404, `Unknown request URL: ${req.method} ${new URL(req.url).pathname}. Please check the URL for typos.`, 'invalid_request_error', 'unknown_url');

export { unknownRoute as GET, unknownRoute as POST, unknownRoute as PUT, unknownRoute as PATCH, unknownRoute as DELETE };
