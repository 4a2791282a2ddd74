// Downloads of a fine-tuned model: its PEFT adapter as a zip (with a README naming the base model
// and its licence), its adapter GGUF, and the base model with the adapter merged in, as one GGUF
// or as a zip of a Hugging Face folder (safetensors, config, tokenizer), each made on first request
// in a process of its own and kept in the artifact store after.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { Zip, ZipDeflate, ZipPassThrough, type ZipInputFile } from 'fflate';
import type { TenantContext } from '@/server/db/tenant';
import type { ArtifactStore } from '@/server/services/artifacts/create-artifact-store';
import type { StoredFolder } from '@/server/services/artifacts/folders';
import { LatheError, notFound } from '@/server/services/errors';
import { ZModelArtifacts } from '@/server/services/model-registry/model-artifacts';

export const DOWNLOAD_ARTIFACTS = ['adapter.zip', 'adapter.gguf', 'merged.gguf', 'merged-hf.zip'] as const;
export type DownloadArtifact = (typeof DOWNLOAD_ARTIFACTS)[number];

type TunedArtifacts = {
  adapter?: StoredFolder;
  gguf?: { sha256: string; size: number };
  merged?: { sha256: string; size: number; type: string };
  /** The merged model in Hugging Face's layout, made on its first download. */
  mergedHf?: StoredFolder;
};

export type ModelDownload = {
  body: ReadableStream<Uint8Array>;
  filename: string;
  contentType: string;
  size: number | null;
  baseModel: string;
  license: string | null;
};

export type DownloadLink = { artifact: DownloadArtifact; href: string; size: number | null; ready: boolean };

/** A fine-tuned model of the project by id or by name. */
async function findTuned(tenant: TenantContext, idOrName: string) {
  const tuned = await tenant.db.fineTunedModel.findFirst({
    where: { OR: [{ id: idOrName }, { name: idOrName }] },
    select: { id: true, name: true, artifacts: true, baseModel: { select: { name: true, license: true, artifacts: true } } },
  });
  if (!tuned) throw notFound('Fine-tuned model');
  return { ...tuned, artifacts: (tuned.artifacts ?? {}) as TunedArtifacts };
}

const fileSafe = (name: string) => name.replace(/[^A-Za-z0-9._-]+/g, '_');

/** The download links of a fine-tuned model, for the dashboard. */
export async function listDownloads({ tenant, fineTunedModel }: { tenant: TenantContext; fineTunedModel: string }) {
  const tuned = await findTuned(tenant, fineTunedModel);
  const href = (artifact: DownloadArtifact) => `/api/downloads/${tuned.id}/${artifact}`;
  const adapterBytes = Object.values(tuned.artifacts.adapter ?? {}).reduce((sum, f) => sum + f.size, 0);
  const links: DownloadLink[] = [];
  if (tuned.artifacts.adapter) links.push({ artifact: 'adapter.zip', href: href('adapter.zip'), size: adapterBytes, ready: true });
  if (tuned.artifacts.gguf) links.push({ artifact: 'adapter.gguf', href: href('adapter.gguf'), size: tuned.artifacts.gguf.size, ready: true });
  if (tuned.artifacts.adapter && ZModelArtifacts.safeParse(tuned.baseModel.artifacts).data?.hf) {
    links.push({ artifact: 'merged.gguf', href: href('merged.gguf'), size: tuned.artifacts.merged?.size ?? null, ready: Boolean(tuned.artifacts.merged) });
    const hfBytes = tuned.artifacts.mergedHf ? Object.values(tuned.artifacts.mergedHf).reduce((sum, f) => sum + f.size, 0) : null;
    links.push({ artifact: 'merged-hf.zip', href: href('merged-hf.zip'), size: hfBytes, ready: Boolean(tuned.artifacts.mergedHf) });
  }
  return { id: tuned.id, name: tuned.name, baseModel: tuned.baseModel.name, license: tuned.baseModel.license, links };
}

function readme(name: string, baseModel: string, license: string | null) {
  return [
    `# ${name}`,
    '',
    `A LoRA adapter in PEFT's format, fine-tuned with Lathe on the base model \`${baseModel}\`.`,
    '',
    `Base model licence: ${license ?? 'not recorded; check the base model before redistributing'}.`,
    'The adapter is a derivative of the base model and is subject to its licence.',
    '',
    'Load it with PEFT:',
    '',
    '```python',
    'from peft import PeftModel',
    'from transformers import AutoModelForCausalLM',
    '',
    `base = AutoModelForCausalLM.from_pretrained("<the ${baseModel} weights>")`,
    'model = PeftModel.from_pretrained(base, "./adapter")',
    '```',
    '',
  ].join('\n');
}

/** A zip built as it is read: files are pulled from the store one chunk at a time. */
function zipStream(store: ArtifactStore, entries: Array<{ name: string; sha256?: string; text?: string }>): ReadableStream<Uint8Array> {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const zip = new Zip((error, data, final) => {
    if (error) return controller.error(error);
    controller.enqueue(data);
    if (final) controller.close();
  });
  let index = 0;
  let current: { entry: ZipInputFile & { push: (chunk: Uint8Array, final?: boolean) => void }; chunks: AsyncIterator<Buffer> } | null = null;
  let source: Readable | null = null;
  return new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
    async pull() {
      for (;;) {
        if (!current) {
          const next = entries[index++];
          if (!next) return zip.end();
          if (next.text !== undefined) {
            const entry = new ZipDeflate(next.name, { level: 6 });
            zip.add(entry);
            entry.push(new TextEncoder().encode(next.text), true);
            return;
          }
          source = await store.get(next.sha256!);
          // Weights do not compress: stored as they are.
          const entry = new ZipPassThrough(next.name);
          zip.add(entry);
          current = { entry, chunks: source[Symbol.asyncIterator]() };
        }
        const { done, value } = await current.chunks.next();
        if (done) {
          current.entry.push(new Uint8Array(0), true);
          current = null;
          continue;
        }
        current.entry.push(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
        return;
      }
    },
    cancel() {
      source?.destroy();
    },
  });
}

const merging = new Map<string, Promise<{ sha256: string; size: number }>>();
const MERGE_ENTRY = 'server/services/serving/merge-for-download.ts';

/** Runs the merge in a process of its own (see merge-for-download.ts) and returns the stored GGUF. */
function runMerge<T = { sha256: string; size: number; type: string }>(request: { baseArtifacts: unknown; adapter: StoredFolder; name: string; workRoot: string; format?: 'gguf' | 'hf' }): Promise<T> {
  const entry = path.resolve(process.cwd(), MERGE_ENTRY);
  return new Promise((resolve, reject) => {
    if (!existsSync(entry)) return reject(new LatheError('INTERNAL', `The merge program ${MERGE_ENTRY} is missing next to the web app.`));
    const child = spawn(process.execPath, ['--import', 'tsx', entry, JSON.stringify(request)], { cwd: process.cwd(), env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err = (err + d).slice(-4000)));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) return resolve(JSON.parse(out.trim().split('\n').at(-1)!) as T);
      reject(new LatheError('INTERNAL', `Merging the adapter into the base model failed: ${err.trim().split('\n').at(-1) ?? `exit ${code}`}`, { reason: 'merge_failed' }));
    });
  });
}

async function mergedGguf(tenant: TenantContext, store: ArtifactStore, tuned: Awaited<ReturnType<typeof findTuned>>, workRoot: string) {
  const existing = tuned.artifacts.merged;
  if (existing && (await store.has(existing.sha256))) return existing;
  let running = merging.get(tuned.id);
  if (!running) {
    running = (async () => {
      if (!ZModelArtifacts.safeParse(tuned.baseModel.artifacts).data?.hf || !tuned.artifacts.adapter) {
        throw new LatheError('PRECONDITION_FAILED', 'This model has no base weights or adapter to merge.', { reason: 'merge_unavailable' });
      }
      const merged = await runMerge({ baseArtifacts: tuned.baseModel.artifacts, adapter: tuned.artifacts.adapter, name: tuned.name, workRoot });
      await tenant.db.fineTunedModel.update({ where: { id: tuned.id }, data: { artifacts: { ...tuned.artifacts, merged } } });
      return merged;
    })().finally(() => merging.delete(tuned.id));
    merging.set(tuned.id, running);
  }
  return running;
}

const mergingHf = new Map<string, Promise<StoredFolder>>();

/** The merged model in Hugging Face's layout, made once (in the merge process) and kept. */
async function mergedHf(tenant: TenantContext, store: ArtifactStore, tuned: Awaited<ReturnType<typeof findTuned>>, workRoot: string): Promise<StoredFolder> {
  const existing = tuned.artifacts.mergedHf;
  if (existing && (await Promise.all(Object.values(existing).map((f) => store.has(f.sha256)))).every(Boolean)) return existing;
  let running = mergingHf.get(tuned.id);
  if (!running) {
    running = (async () => {
      if (!ZModelArtifacts.safeParse(tuned.baseModel.artifacts).data?.hf || !tuned.artifacts.adapter) {
        throw new LatheError('PRECONDITION_FAILED', 'This model has no base weights or adapter to merge.', { reason: 'merge_unavailable' });
      }
      const { folder } = await runMerge<{ folder: StoredFolder }>({ baseArtifacts: tuned.baseModel.artifacts, adapter: tuned.artifacts.adapter, name: tuned.name, workRoot, format: 'hf' });
      const current = await tenant.db.fineTunedModel.findFirstOrThrow({ where: { id: tuned.id }, select: { artifacts: true } });
      await tenant.db.fineTunedModel.update({ where: { id: tuned.id }, data: { artifacts: { ...((current.artifacts ?? {}) as object), mergedHf: folder } } });
      return folder;
    })().finally(() => mergingHf.delete(tuned.id));
    mergingHf.set(tuned.id, running);
  }
  return running;
}

/** The merged model in Hugging Face's layout of a fine-tuned model, made on first use (a Hub push uses it too). */
export async function mergedHfFolder({ tenant, store, fineTunedModelId, workRoot }: { tenant: TenantContext; store: ArtifactStore; fineTunedModelId: string; workRoot: string }): Promise<StoredFolder> {
  return mergedHf(tenant, store, await findTuned(tenant, fineTunedModelId), workRoot);
}

export type OpenDownloadOptions = {
  tenant: TenantContext;
  store: ArtifactStore;
  fineTunedModelId: string;
  artifact: DownloadArtifact;
  /** Scratch space for merges. */
  workRoot: string;
};

export async function openModelDownload({ tenant, store, fineTunedModelId, artifact, workRoot }: OpenDownloadOptions): Promise<ModelDownload> {
  const tuned = await findTuned(tenant, fineTunedModelId);
  const meta = { baseModel: tuned.baseModel.name, license: tuned.baseModel.license };
  const stem = fileSafe(tuned.name);
  const stream = async (sha256: string) => Readable.toWeb(await store.get(sha256)) as ReadableStream<Uint8Array>;
  switch (artifact) {
    case 'adapter.zip': {
      if (!tuned.artifacts.adapter) throw notFound('Adapter');
      const files = Object.entries(tuned.artifacts.adapter).map(([name, f]) => ({ name: `adapter/${name}`, sha256: f.sha256 }));
      return { ...meta, body: zipStream(store, [{ name: 'README.md', text: readme(tuned.name, tuned.baseModel.name, tuned.baseModel.license) }, ...files]), filename: `${stem}.adapter.zip`, contentType: 'application/zip', size: null };
    }
    case 'adapter.gguf': {
      if (!tuned.artifacts.gguf) throw notFound('Adapter GGUF');
      return { ...meta, body: await stream(tuned.artifacts.gguf.sha256), filename: `${stem}.adapter.gguf`, contentType: 'application/octet-stream', size: tuned.artifacts.gguf.size };
    }
    case 'merged.gguf': {
      const merged = await mergedGguf(tenant, store, tuned, workRoot);
      return { ...meta, body: await stream(merged.sha256), filename: `${stem}.merged.gguf`, contentType: 'application/octet-stream', size: merged.size };
    }
    case 'merged-hf.zip': {
      const folder = await mergedHf(tenant, store, tuned, workRoot);
      const files = Object.entries(folder).map(([name, f]) => ({ name: `${stem}/${name}`, sha256: f.sha256 }));
      return { ...meta, body: zipStream(store, files), filename: `${stem}.merged-hf.zip`, contentType: 'application/zip', size: null };
    }
  }
}
