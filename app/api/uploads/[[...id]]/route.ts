// tus endpoint for dataset uploads: POST creates an upload, HEAD tells how much arrived, PATCH
// appends, DELETE abandons. There is no GET: a finished upload is a dataset, read from there.
import { uploadServer } from '@/server/api/upload-server';

export const dynamic = 'force-dynamic';

const handle = (req: Request) => uploadServer().handleWeb(req);

export { handle as POST, handle as PATCH, handle as HEAD, handle as DELETE, handle as OPTIONS };
