// Downloads of a fine-tuned model: its PEFT adapter as a zip (with a README naming the base model
// and its licence), its adapter GGUF, and the base model with the adapter merged in as one GGUF,
// made on first request in a conversion child process and kept in the artifact store after.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { Zip, ZipDeflate, ZipPassThrough, type ZipInputFile } from 'fflate';
import type { TenantContext } from '@/server/db/tenant';
import type { ArtifactStore } from '@/server/services/artifacts/create-artifact-store';
import { materializeFolder, type StoredFolder } from '@/server/services/artifacts/folders';
import { LatheError, notFound } from '@/server/services/errors';
import { materializeModelFolder, parseModelArtifacts } from '@/server/services/models/registry/model-artifacts';

export const DOWNLOAD_ARTIFACTS = ['adapter.zip', 'adapter.gguf', 'merged.gguf'] as const;
export type DownloadArtifact = (typeof DOWNLOAD_ARTIFACTS)[number];

type TunedArtifacts = {
  adapter?: StoredFolder;
  gguf?: { sha256: string; size: number };
  merged?: { sha256: string; size: number; type: string };
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
  if (tuned.artifacts.adapter && parseModelArtifacts(tuned.baseModel.artifacts).hf) {
    links.push({ artifact: 'merged.gguf', href: href('merged.gguf'), size: tuned.artifacts.merged?.size ?? null, ready: Boolean(tuned.artifacts.merged) });
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

async function mergedGguf(tenant: TenantContext, store: ArtifactStore, tuned: Awaited<ReturnType<typeof findTuned>>, workRoot: string) {
  const existing = tuned.artifacts.merged;
  if (existing && (await store.has(existing.sha256))) return existing;
  let running = merging.get(tuned.id);
  if (!running) {
    running = (async () => {
      const base = parseModelArtifacts(tuned.baseModel.artifacts);
      if (!base.hf || !tuned.artifacts.adapter) throw new LatheError('PRECONDITION_FAILED', 'This model has no base weights or adapter to merge.', { reason: 'merge_unavailable' });
      await mkdir(workRoot, { recursive: true });
      const work = await mkdtemp(path.join(workRoot, 'merge-'));
      try {
        const modelDir = (await materializeModelFolder({ store, artifacts: tuned.baseModel.artifacts, destDir: path.join(work, 'base') })).dir;
        const adapterDir = await materializeFolder(store, tuned.artifacts.adapter, path.join(work, 'adapter'));
        const outFile = path.join(work, `merged-${randomBytes(4).toString('hex')}.gguf`);
        // Loaded on first use: the conversion launcher resolves its child's files at import time.
        const { runConversion } = await import('@/gpu-runner/convert/run-conversion');
        await runConversion({ kind: 'merge', modelDir, adapterDir, outFile, type: base.gguf.type, name: tuned.name });
        const ref = await store.put(outFile);
        const merged = { sha256: ref.sha256, size: ref.size, type: base.gguf.type };
        await tenant.db.fineTunedModel.update({ where: { id: tuned.id }, data: { artifacts: { ...tuned.artifacts, merged } } });
        return merged;
      } finally {
        await rm(work, { recursive: true, force: true });
      }
    })().finally(() => merging.delete(tuned.id));
    merging.set(tuned.id, running);
  }
  return running;
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
  }
}
