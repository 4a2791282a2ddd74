// A process of its own for the web app's merged downloads (GGUF, or Hugging Face's layout): stages the base model and the
// adapter from the artifact store, merges them to one GGUF in a conversion child (runConversion),
// stores the result and prints its reference as one JSON line. The web app never loads the
// conversion code (or tsx) itself.
//   tsx server/services/serving/merge-for-download.ts '<json MergeRequest>'
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { runConversion } from '@/server/services/model-format/convert/run-conversion';
import { artifactStoreConfigFromEnv, createArtifactStore } from '@/server/services/artifacts/create-artifact-store';
import { materializeFolder, storeFolder, type StoredFolder } from '@/server/services/artifacts/folders';
import { mergeAdapterToHf } from '@/server/services/model-format/export-merged-hf';
import { materializeModelFolder, parseModelArtifacts } from '@/server/services/model-registry/model-artifacts';

export type MergeRequest = { baseArtifacts: unknown; adapter: StoredFolder; name: string; workRoot: string; format?: 'gguf' | 'hf' };
export type MergeResult = { sha256: string; size: number; type: string };
/** The merged model in Hugging Face's layout, stored file by file. */
export type MergeHfResult = { folder: StoredFolder };

async function main(): Promise<void> {
  const request = JSON.parse(process.argv[2] ?? '{}') as MergeRequest;
  const store = createArtifactStore(artifactStoreConfigFromEnv());
  const base = parseModelArtifacts(request.baseArtifacts);
  await mkdir(request.workRoot, { recursive: true });
  const work = await mkdtemp(path.join(request.workRoot, 'merge-'));
  try {
    const modelDir = (await materializeModelFolder({ store, artifacts: request.baseArtifacts, destDir: path.join(work, 'base') })).dir;
    const adapterDir = await materializeFolder(store, request.adapter, path.join(work, 'adapter'));
    if (request.format === 'hf') {
      const outDir = path.join(work, 'merged-hf');
      await mergeAdapterToHf({ modelDir, adapterDir, outDir });
      const result: MergeHfResult = { folder: await storeFolder(store, outDir) };
      process.stdout.write(`${JSON.stringify(result)}\n`);
      return;
    }
    const outFile = path.join(work, 'merged.gguf');
    await runConversion({ kind: 'merge', modelDir, adapterDir, outFile, type: base.gguf.type, name: request.name });
    const ref = await store.put(outFile);
    const result: MergeResult = { sha256: ref.sha256, size: ref.size, type: base.gguf.type };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
