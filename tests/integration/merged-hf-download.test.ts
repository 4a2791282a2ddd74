// The merged model in Hugging Face's layout through GET /api/downloads/{id}/merged-hf.zip: made in
// the merge process from the artifact store on the first request, kept on the fine-tuned model,
// and its weights equal to the base with the adapter in a reference forward pass.
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GET as downloadModel } from '@/app/api/downloads/[id]/[artifact]/route';
import { getDb } from '@/server/db';
import { artifactStoreConfigFromEnv, createArtifactStore } from '@/server/services/artifacts/create-artifact-store';
import { storeFolder } from '@/server/services/artifacts/folders';
import { createTestKey, createTestUser } from '@/tests/helpers/factories';
import { writeRandomAdapter, writeRandomModel } from '@/tests/kit/models/random-model';
import { referenceLogits } from '@/tests/kit/models/reference-llama';

let root: string;
let key: string;
let tunedId: string;
let baseDir: string;
let adapterDir: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'lathe-merged-hf-'));
  const store = createArtifactStore(artifactStoreConfigFromEnv());
  const base = await writeRandomModel({ dir: path.join(root, 'base'), std: 0.1, seed: 11 });
  baseDir = base.dir;
  adapterDir = (await writeRandomAdapter({ dir: path.join(root, 'adapter'), base, r: 4, alpha: 8 })).dir;
  const owner = await createTestUser();
  key = await createTestKey(owner);
  const scope = { organizationId: owner.organization.id, projectId: owner.project.id };
  const hfFiles = await storeFolder(store, baseDir);
  // The merge reads only the Hugging Face folder; the GGUF entry is what a READY row always has.
  await mkdir(path.join(root, 'gguf'));
  await writeFile(path.join(root, 'gguf', 'model.gguf'), 'GGUF');
  const gguf = await store.put(path.join(root, 'gguf', 'model.gguf'));
  const model = await getDb().baseModel.create({
    data: { ...scope, name: `merge-hf-${owner.organization.id}`, source: 'FOLDER', status: 'READY', artifacts: { hf: { files: hfFiles }, gguf: { sha256: gguf.sha256, size: gguf.size, type: 'F32' } } },
  });
  const tuned = await getDb().fineTunedModel.create({
    data: { ...scope, name: `ft:${model.name}:merge-hf`, baseModelId: model.id, artifacts: { adapter: await storeFolder(store, adapterDir) } },
  });
  tunedId = tuned.id;
}, 120_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const get = (artifact: string) =>
  downloadModel(new Request(`http://lathe.test/api/downloads/${tunedId}/${artifact}`, { headers: { authorization: `Bearer ${key}` } }), {
    params: Promise.resolve({ id: tunedId, artifact }),
  });

describe('merged-hf.zip', () => {
  it('serves a zip of a Hugging Face folder whose weights are the base with the adapter merged in', async () => {
    const res = await get('merged-hf.zip');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/zip');
    const files = unzipSync(new Uint8Array(await res.arrayBuffer()));
    const names = Object.keys(files);
    const folder = names[0]!.split('/')[0]!;
    expect(names.map((n) => n.slice(folder.length + 1))).toEqual(expect.arrayContaining(['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']));
    const out = path.join(root, 'unzipped');
    await mkdir(out);
    for (const name of names) await writeFile(path.join(out, name.slice(folder.length + 1)), files[name]!);
    const tokens = [3, 99, 250, 17, 4];
    const merged = await referenceLogits(out, tokens);
    const expected = await referenceLogits(baseDir, tokens, adapterDir);
    const diff = Math.max(...merged.flatMap((row, i) => row.map((v, j) => Math.abs(v - expected[i]![j]!))));
    expect(diff).toBeLessThan(1e-4);
  }, 120_000);

  it('keeps the merged folder on the fine-tuned model and lists it as ready', async () => {
    const tuned = await getDb().fineTunedModel.findUniqueOrThrow({ where: { id: tunedId } });
    const stored = (tuned.artifacts as { mergedHf?: Record<string, { sha256: string }> }).mergedHf;
    expect(Object.keys(stored ?? {})).toEqual(expect.arrayContaining(['model.safetensors', 'config.json']));
    const again = await get('merged-hf.zip');
    expect(again.status).toBe(200);
    await again.arrayBuffer();
  });
});
