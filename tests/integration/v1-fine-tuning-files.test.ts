// The fine-tuning job request as /v1 parses it (unknown keys, `method`), and a job's result file
// (its metrics CSV) through /v1/files, on the real database and artifact store.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POST as createJobRoute } from '@/app/v1/fine_tuning/jobs/route';
import { GET as listFilesRoute } from '@/app/v1/files/route';
import { DELETE as deleteFileRoute, GET as getFileRoute } from '@/app/v1/files/[file]/route';
import { GET as fileContentRoute } from '@/app/v1/files/[file]/content/route';
import { getDb } from '@/server/db';
import { stopBoss } from '@/server/queue/boss';
import { bufferSource } from '@/server/services/artifacts/local-store';
import { datasetStore } from '@/server/services/datasets/platform/config';
import { createTestKey, createTestUser, type TestUser } from '@/tests/helpers/factories';

let owner: TestUser;
let key: string;
let modelName: string;
let trainingFile: string;

beforeAll(async () => {
  const db = getDb();
  owner = await createTestUser();
  key = await createTestKey(owner);
  const scope = { organizationId: owner.organization.id, projectId: owner.project.id };
  const model = await db.baseModel.create({ data: { ...scope, name: `ft-requests-${owner.organization.id}`, source: 'FOLDER', status: 'READY', artifacts: { hf: { files: {} } } } });
  modelName = model.name;
  const dataset = await db.dataset.create({ data: { ...scope, name: 'train.jsonl', filename: 'train.jsonl', status: 'VALID', sizeBytes: 10 } });
  trainingFile = `file-${dataset.id}`;
  await db.creditLedgerEntry.create({ data: { organizationId: owner.organization.id, kind: 'GRANT', amount: 100 } });
});

afterAll(async () => {
  await stopBoss();
});

const none = { params: Promise.resolve({}) };
const auth = (k = key) => ({ authorization: `Bearer ${k}` });

async function createJob(body: Record<string, unknown>, k = key) {
  const res = await createJobRoute(new Request('http://lathe.test/v1/fine_tuning/jobs', { method: 'POST', headers: { ...auth(k), 'content-type': 'application/json' }, body: JSON.stringify(body) }), none);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & { error?: { code: string | null; param: string | null; message: string } } };
}

const jobCount = () => getDb().trainingJob.count({ where: { projectId: owner.project.id } });

describe('POST /v1/fine_tuning/jobs request schema', () => {
  it('refuses a key it does not know with a 400 that names it', async () => {
    const before = await jobCount();
    const res = await createJob({ model: modelName, training_file: trainingFile, learning_rate: 0.1 });
    expect(res.status).toBe(400);
    expect(res.body.error).toEqual({ message: expect.stringContaining('learning_rate'), type: 'invalid_request_error', param: 'learning_rate', code: 'unknown_parameter' });
    expect(await jobCount()).toBe(before);
  });

  it('names an unknown key inside hyperparameters by its full path', async () => {
    const res = await createJob({ model: modelName, training_file: trainingFile, hyperparameters: { n_epochs: 1, warmup_steps: 3 } });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ param: 'hyperparameters.warmup_steps', code: 'unknown_parameter' });
  });

  it('refuses a method it cannot train with unsupported_method, creating no job', async () => {
    const before = await jobCount();
    for (const type of ['reinforcement', 'something-new']) {
      const res = await createJob({ model: modelName, training_file: trainingFile, method: { type, [type]: { hyperparameters: { beta: 0.1 } } } });
      expect(res.status, type).toBe(400);
      expect(res.body.error, type).toMatchObject({ param: 'method.type', code: 'unsupported_method', message: expect.stringContaining(type) });
    }
    expect(await jobCount()).toBe(before);
  });

  it('trains method supervised with the hyperparameters given there, and reports both', async () => {
    const res = await createJob({ model: modelName, training_file: trainingFile, method: { type: 'supervised', supervised: { hyperparameters: { n_epochs: 3 } } } });
    expect(res.status).toBe(200);
    const hyperparameters = { n_epochs: 3, batch_size: 'auto', learning_rate_multiplier: 'auto' };
    expect(res.body).toMatchObject({ hyperparameters, method: { type: 'supervised', supervised: { hyperparameters } } });
    const row = await getDb().trainingJob.findUniqueOrThrow({ where: { id: String(res.body.id).replace(/^ftjob-/, '') } });
    expect(row.hyperparameters).toMatchObject({ n_epochs: 3 });
  });

  describe('method dpo', () => {
    // A project of its own: the result-file tests below count the first project's files.
    let preferenceFile: string;
    let chatFile: string;
    let dpoKey: string;
    let dpoModel: string;
    const create = (body: Record<string, unknown>) => createJob({ model: dpoModel, ...body }, dpoKey);
    const dpoJobCount = async () => getDb().trainingJob.count({ where: { baseModel: { name: dpoModel } } });
    beforeAll(async () => {
      const user = await createTestUser();
      dpoKey = await createTestKey(user);
      const scope = { organizationId: user.organization.id, projectId: user.project.id };
      dpoModel = (await getDb().baseModel.create({ data: { ...scope, name: `ft-dpo-${user.organization.id}`, source: 'FOLDER', status: 'READY', artifacts: { hf: { files: {} } } } })).name;
      await getDb().creditLedgerEntry.create({ data: { organizationId: user.organization.id, kind: 'GRANT', amount: 100 } });
      const make = (format: string) => getDb().dataset.create({ data: { ...scope, name: `${format}.jsonl`, filename: `${format}.jsonl`, status: 'VALID', sizeBytes: 10, format } });
      preferenceFile = `file-${(await make('preference')).id}`;
      chatFile = `file-${(await make('prompt_completion')).id}`;
    });

    it('creates a DPO job on preference pairs and reports method as OpenAI does', async () => {
      const res = await create({ training_file: preferenceFile, method: { type: 'dpo', dpo: { hyperparameters: { beta: 0.25, n_epochs: 2 } } } });
      expect(res.status).toBe(200);
      expect(res.body.method).toEqual({ type: 'dpo', dpo: { hyperparameters: { beta: 0.25, n_epochs: 2, batch_size: 'auto', learning_rate_multiplier: 'auto' } } });
      expect(res.body.hyperparameters).toEqual({ n_epochs: 2, batch_size: 'auto', learning_rate_multiplier: 'auto' });
      const auto = await create({ training_file: preferenceFile, method: { type: 'dpo' } });
      expect(auto.body.method).toEqual({ type: 'dpo', dpo: { hyperparameters: { beta: 'auto', n_epochs: 'auto', batch_size: 'auto', learning_rate_multiplier: 'auto' } } });
    });

    it('refuses DPO on a prompt/completion file with a 400 naming training_file, and supervised on preference pairs', async () => {
      const before = await dpoJobCount();
      const dpo = await create({ training_file: chatFile, method: { type: 'dpo', dpo: { hyperparameters: { beta: 0.1 } } } });
      expect(dpo.status).toBe(400);
      expect(dpo.body.error).toMatchObject({ param: 'training_file', code: 'training_file_format', message: expect.stringContaining('preference') });
      const supervised = await create({ training_file: preferenceFile });
      expect(supervised.status).toBe(400);
      expect(supervised.body.error).toMatchObject({ param: 'training_file', code: 'training_file_format', message: expect.stringContaining('dpo') });
      expect(await dpoJobCount()).toBe(before);
    });

    it('refuses a beta out of range with a 400 naming method.dpo.hyperparameters.beta', async () => {
      const before = await dpoJobCount();
      for (const beta of [0, -1, 2.5, 'high']) {
        const res = await create({ training_file: preferenceFile, method: { type: 'dpo', dpo: { hyperparameters: { beta } } } });
        expect(res.status, String(beta)).toBe(400);
        expect(res.body.error, String(beta)).toMatchObject({ param: 'method.dpo.hyperparameters.beta', type: 'invalid_request_error' });
      }
      expect(await dpoJobCount()).toBe(before);
    });

    it('refuses settings of another method beside dpo', async () => {
      const res = await create({ training_file: preferenceFile, method: { type: 'dpo', supervised: { hyperparameters: {} } } });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ param: 'method.supervised', code: 'unknown_parameter' });
    });
  });

  it('refuses hyperparameters given both at the top level and under the method', async () => {
    const res = await createJob({ model: modelName, training_file: trainingFile, hyperparameters: { n_epochs: 2 }, method: { type: 'supervised', supervised: { hyperparameters: { n_epochs: 3 } } } });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ param: 'hyperparameters', code: 'invalid_request' });
  });
});

describe('result files', () => {
  const csv = 'step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy\n1,2.5,0.1,,\n2,2.1,0.2,2.3,0.15\n';
  let jobId: string;
  let datasetFileId: string;
  const resultFileId = () => `file-${jobId}-metrics`;
  const fileParams = (file: string) => ({ params: Promise.resolve({ file }) });
  const get = (path: string, k = key) => new Request(`http://lathe.test${path}`, { headers: auth(k) });

  beforeAll(async () => {
    const db = getDb();
    const metrics = await datasetStore().put(bufferSource(Buffer.from(csv)));
    const model = await db.baseModel.findFirstOrThrow({ where: { name: modelName } });
    const dataset = await db.dataset.findFirstOrThrow({ where: { projectId: owner.project.id } });
    datasetFileId = `file-${dataset.id}`;
    const job = await db.trainingJob.create({
      data: {
        organizationId: owner.organization.id,
        projectId: owner.project.id,
        baseModelId: model.id,
        trainingDatasetId: dataset.id,
        status: 'succeeded',
        hyperparameters: {},
        seed: 1,
        finishedAt: new Date(Date.now() + 60_000),
        artifacts: { metrics: { sha256: metrics.sha256, size: metrics.size } },
      },
    });
    jobId = job.id;
  });

  it("serves a job's metrics CSV at GET /v1/files/{result file}/content", async () => {
    const res = await fileContentRoute(get(`/v1/files/${resultFileId()}/content`), fileParams(resultFileId()));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(await res.text()).toBe(csv);
  });

  it('describes the result file at GET /v1/files/{result file}', async () => {
    const res = await getFileRoute(get(`/v1/files/${resultFileId()}`), fileParams(resultFileId()));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      id: resultFileId(),
      object: 'file',
      bytes: Buffer.byteLength(csv),
      created_at: expect.any(Number),
      filename: 'step_metrics.csv',
      purpose: 'fine-tune-results',
      status: 'processed',
      status_details: null,
    });
  });

  it('lists result files in GET /v1/files beside the uploads, and alone for their purpose', async () => {
    const all = await listFilesRoute(get('/v1/files'), none);
    const listed = ((await all.json()) as { data: { id: string; purpose: string }[] }).data;
    expect(listed).toContainEqual(expect.objectContaining({ id: resultFileId(), purpose: 'fine-tune-results' }));
    expect(listed.map((f) => f.id)).toContain(datasetFileId);
    // Finished after the upload was made, so it comes first, newest first.
    expect(listed[0]!.id).toBe(resultFileId());

    const results = await listFilesRoute(get('/v1/files?purpose=fine-tune-results'), none);
    expect(((await results.json()) as { data: { id: string }[] }).data.map((f) => f.id)).toEqual([resultFileId()]);
    const uploads = await listFilesRoute(get('/v1/files?purpose=fine-tune'), none);
    expect(((await uploads.json()) as { data: { id: string }[] }).data.map((f) => f.id)).not.toContain(resultFileId());
  });

  it('pages through uploads and result files with one cursor', async () => {
    const first = (await (await listFilesRoute(get('/v1/files?limit=1'), none)).json()) as { data: { id: string }[]; has_more: boolean; last_id: string };
    expect(first).toMatchObject({ data: [{ id: resultFileId() }], has_more: true });
    const second = (await (await listFilesRoute(get(`/v1/files?limit=1&after=${first.last_id}`), none)).json()) as { data: { id: string }[] };
    expect(second.data.map((f) => f.id)).toEqual([datasetFileId]);
  });

  it('keeps a result file with its job: DELETE is refused', async () => {
    const res = await deleteFileRoute(new Request(`http://lathe.test/v1/files/${resultFileId()}`, { method: 'DELETE', headers: auth() }), fileParams(resultFileId()));
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('in_use');
    const content = await fileContentRoute(get(`/v1/files/${resultFileId()}/content`), fileParams(resultFileId()));
    expect(content.status).toBe(200);
  });

  it("answers another project's result file as no such file", async () => {
    const other = await createTestKey(await createTestUser());
    for (const res of [
      await fileContentRoute(get(`/v1/files/${resultFileId()}/content`, other), fileParams(resultFileId())),
      await getFileRoute(get(`/v1/files/${resultFileId()}`, other), fileParams(resultFileId())),
    ]) {
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: { message: string } }).error.message).toBe(`No such File object: ${resultFileId()}`);
    }
  });
});
