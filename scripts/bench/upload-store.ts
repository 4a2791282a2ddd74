// Upload store benchmark: what the resumable upload's store (server/services/datasets/platform/
// upload-store.ts) costs over a plain HTTP PUT of the same bytes to a discarding loopback server,
// side by side in one run, without the web server, model and runner that `bench:sdk` starts.
//   npm run bench:upload-store
//   npm run bench:upload-store -- --upload-mb 100 --chunk-mib 8
// The file is written to the store the way the SDK sends it (the whole file in one `write`, one
// PATCH; `--chunk-mib N` sends one `write` per N MiB instead, as a client with a chunk size does), then
// finished into a dataset (the artifact store, the Dataset row, its validation job). The phases are
// timed apart so a run says where the time goes. On a fresh database of its own; the last line
// printed is one JSON object.
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Upload } from '@tus/server';
import { disconnectDb } from '../../server/db';
import { getBoss, stopBoss } from '../../server/queue/boss';
import { tenantDb } from '../../server/db/tenant';
import { UploadStore } from '../../server/services/datasets/platform/upload-store';
import { createTestUser } from '../../tests/helpers/factories';
import { createTestDatabase } from '../../tests/setup/database';
import { plainPutSeconds } from './plain-put';

const { values: args } = parseArgs({ options: { 'upload-mb': { type: 'string', default: '100' }, 'chunk-mib': { type: 'string' } } });
const UPLOAD_BYTES = Number(args['upload-mb']) * 1_000_000;
const CHUNK = args['chunk-mib'] ? Number(args['chunk-mib']) * 1024 * 1024 : Infinity;
const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

async function main() {
  const work = await mkdtemp(path.join(tmpdir(), 'lathe-bench-upload-'));
  process.env.LATHE_DATA_DIR = path.join(work, 'data');
  process.env.LATHE_MAX_UPLOAD_BYTES = String(UPLOAD_BYTES * 2);
  const database = await createTestDatabase(path.join(work, 'pg'));
  process.env.DATABASE_URL = database.url;
  try {
    const user = await createTestUser();
    const scope = { organizationId: user.organization.id, projectId: user.project.id };
    const tenant = { db: tenantDb(scope), scope, actor: { userId: user.user.id } };
    const { getDb } = await import('../../server/db');
    const store = new UploadStore({ db: getDb, databaseUrl: () => database.url, expirationMs: 3600_000 });

    // A web process has its queue client running already: started before the clock.
    await getBoss();
    const file = path.join(work, 'upload.jsonl');
    const line = `${JSON.stringify({ messages: [{ role: 'user', content: `What is two and two? ${randomBytes(6).toString('hex')}` }, { role: 'assistant', content: 'Four.' }] })}\n`;
    const lines = Math.ceil(UPLOAD_BYTES / line.length);
    await writeFile(file, line.repeat(lines));
    const size = lines * line.length;

    const putSeconds = await plainPutSeconds(file, size);

    const id = randomBytes(16).toString('hex');
    const writeStart = performance.now();
    await store.create(new Upload({ id, size, offset: 0, metadata: { filename: 'bench.jsonl' }, creation_date: new Date().toISOString() }));
    for (let offset = 0; offset < size; offset += CHUNK) {
      await store.write(createReadStream(file, { start: offset, end: Math.min(offset + CHUNK, size) - 1, highWaterMark: 64 * 1024 }), id, offset);
    }
    const writeSeconds = (performance.now() - writeStart) / 1000;
    const finishStart = performance.now();
    await store.finish({ id, tenant, maxBytes: size * 2, filename: 'bench.jsonl' });
    const finishSeconds = (performance.now() - finishStart) / 1000;
    const storeSeconds = writeSeconds + finishSeconds;
    await store.close();

    console.log(
      JSON.stringify({
        upload_bytes: size,
        chunk_bytes: Math.min(CHUNK, size),
        put_mb_s: round(size / 1e6 / putSeconds),
        store_mb_s: round(size / 1e6 / storeSeconds),
        store_write_s: round(writeSeconds),
        store_finish_s: round(finishSeconds),
        ratio_vs_put: round(putSeconds / storeSeconds, 3),
        cpus: cpus().length,
        load_avg_1m: round(loadavg()[0]!, 1),
      }),
    );
  } finally {
    await stopBoss();
    await disconnectDb();
    await database.drop();
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
