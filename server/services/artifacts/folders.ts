// Folders (adapters, checkpoints) in the content-addressed store: a map of relative path to
// stored file, and the way back to a folder on disk that appears complete or not at all.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ArtifactStore } from '@/server/services/artifacts/create-artifact-store';

export type StoredFolder = Record<string, { sha256: string; size: number }>;

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await listFiles(path.join(dir, entry.name), rel)));
    else if (entry.isFile()) out.push(rel);
  }
  return out.sort();
}

export async function storeFolder(store: ArtifactStore, dir: string): Promise<StoredFolder> {
  const files: StoredFolder = {};
  for (const rel of await listFiles(dir)) {
    const ref = await store.put(path.join(dir, ...rel.split('/')));
    files[rel] = { sha256: ref.sha256, size: ref.size };
  }
  return files;
}

export async function materializeFolder(store: ArtifactStore, files: StoredFolder, destDir: string): Promise<string> {
  const dest = path.resolve(destDir);
  const staging = `${dest}.partial-${randomBytes(4).toString('hex')}`;
  try {
    for (const [rel, file] of Object.entries(files)) {
      const normalized = path.posix.normalize(rel);
      if (normalized.startsWith('..') || path.posix.isAbsolute(normalized)) throw new Error(`refusing artifact path ${rel}`);
      await store.materialize(file.sha256, path.join(staging, ...normalized.split('/')));
    }
    await mkdir(path.dirname(dest), { recursive: true });
    await rm(dest, { recursive: true, force: true });
    await rename(staging, dest);
    return dest;
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
}

export async function folderBytes(files: StoredFolder) {
  return Object.values(files).reduce((sum, f) => sum + f.size, 0);
}

export const isDirectory = async (p: string) => (await stat(p).catch(() => null))?.isDirectory() ?? false;
