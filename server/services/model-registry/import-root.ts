// Imports from the server's own disk. LATHE_IMPORT_ROOT holds one sub-folder per organization
// (named by its id): an organization's owners import only from theirs, a platform administrator
// from the whole root. A path is checked against the root before the disk is asked anything about
// it, symlinks are followed only while they stay inside the root, and the import reads each file
// through the handle it checked, never by its path again.
import { constants } from 'node:fs';
import { lstat, open, readdir, readlink, realpath, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { ArtifactStore } from '@/server/services/artifacts/create-artifact-store';
import { LatheError } from '@/server/services/errors';
import { isModelFile } from '@/server/services/hub/download-hf-repo';
import { ModelError } from '@/server/services/model-format/errors';

/** Where server paths may be imported from: a folder, or anywhere (an operator without LATHE_IMPORT_ROOT, the CLI). */
export type ImportRoot = string | null;

const MAX_SYMLINK_HOPS = 40;
const MAX_DEPTH = 8;

/**
 * The import root of a caller: the whole LATHE_IMPORT_ROOT (or anywhere when it is unset) for a
 * platform administrator, the organization's sub-folder of it for everyone else.
 */
export function importRootFor({ organizationId, platformAdmin, env = process.env }: { organizationId: string; platformAdmin: boolean; env?: Record<string, string | undefined> }): ImportRoot {
  const root = env.LATHE_IMPORT_ROOT?.trim();
  if (platformAdmin) return root ? path.resolve(root) : null;
  if (!root) {
    throw new LatheError('FORBIDDEN', 'Importing from a server folder needs a platform administrator, or LATHE_IMPORT_ROOT set to the folder whose per-organization sub-folders users may import from.', {
      reason: 'outside_import_root',
    });
  }
  return path.join(path.resolve(root), organizationId);
}

/**
 * Whether a caller may import from the server's disk at all: a platform administrator always, anyone
 * else (who may import) only when LATHE_IMPORT_ROOT gives organizations folders, as importRootFor
 * refuses otherwise. The import dialog shows its "Server path" tab by this rule.
 */
export function mayImportServerPaths({ platformAdmin, env = process.env }: { platformAdmin: boolean; env?: Record<string, string | undefined> }): boolean {
  return platformAdmin || Boolean(env.LATHE_IMPORT_ROOT?.trim());
}

const inside = (root: string, candidate: string) => candidate === root || candidate.startsWith(root + path.sep);

function outside(root: string, param: string, what = 'Imports are limited'): LatheError {
  return new LatheError('FORBIDDEN', `${what} to files under ${root} (your import folder under LATHE_IMPORT_ROOT).`, { param, reason: 'outside_import_root' });
}

const missing = (given: string, param: string) => new LatheError('BAD_REQUEST', `${given} does not exist on the server.`, { param, reason: 'not_found' });

/**
 * Resolves `relative` (path components below `realRoot`, which has no symlinks) to a real path,
 * following each symlink only when its target is inside the root. Never looks at anything outside.
 */
async function resolveWithin(realRoot: string, relative: string[], errors: { outside: () => Error; missing: () => Error }): Promise<string> {
  let current = realRoot;
  const queue = [...relative];
  let hops = 0;
  while (queue.length > 0) {
    const part = queue.shift()!;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      current = path.dirname(current);
      if (!inside(realRoot, current)) throw errors.outside();
      continue;
    }
    const next = path.join(current, part);
    const info = await lstat(next).catch(() => null);
    if (!info) throw errors.missing();
    if (!info.isSymbolicLink()) {
      current = next;
      continue;
    }
    if (++hops > MAX_SYMLINK_HOPS) throw errors.missing();
    const target = path.resolve(current, await readlink(next));
    if (!inside(realRoot, target)) throw errors.outside();
    queue.unshift(...path.relative(realRoot, target).split(path.sep));
    current = realRoot;
  }
  return current;
}

export type ResolvedImportPath = { path: string; kind: 'folder' | 'file'; size: number };

/**
 * The real path of a folder or file to import, refused unless it lies under the root. Outside
 * paths are refused from their spelling alone, so the answer says nothing about what exists there.
 */
export async function resolveImportPath({ root, given, param }: { root: ImportRoot; given: string; param: string }): Promise<ResolvedImportPath> {
  let resolved: string;
  if (root === null) {
    resolved = await realpath(path.resolve(given)).catch(() => {
      throw missing(given, param);
    });
  } else {
    const candidate = path.resolve(root, given);
    const realRoot = await realpath(root).catch(() => {
      throw new LatheError('BAD_REQUEST', `Your import folder ${root} does not exist yet: ask the operator to create it and put the model there.`, { param, reason: 'not_found' });
    });
    // Spelled under the root as configured, or under its real path when the root is itself a link.
    const base = inside(root, candidate) ? root : inside(realRoot, candidate) ? realRoot : null;
    if (base === null) throw outside(root, param);
    resolved = await resolveWithin(realRoot, path.relative(base, candidate).split(path.sep), {
      outside: () => outside(root, param, `${given} leads through a symbolic link outside your import folder; imports are limited`),
      missing: () => missing(given, param),
    });
  }
  const info = await lstat(resolved);
  return { path: resolved, kind: info.isDirectory() ? 'folder' : 'file', size: info.size };
}

export type ImportFile = { relative: string; path: string; size: number };

/**
 * The model files of a folder (the selection a Hub download makes), each resolved to its real
 * path, symlinks followed as a Hub cache has them. Under a root, a symlink that leaves it is refused.
 */
export async function listImportFiles({ root, dir }: { root: ImportRoot; dir: string }): Promise<ImportFile[]> {
  const realRoot = root === null ? null : await realpath(root);
  const files: ImportFile[] = [];
  const resolve = (relative: string): Promise<string> => {
    const full = path.join(dir, ...relative.split('/'));
    const broken = () => new ModelError('invalid_config', `${relative} is a broken symbolic link`);
    if (realRoot === null) return realpath(full).catch(() => Promise.reject(broken()));
    return resolveWithin(realRoot, path.relative(realRoot, full).split(path.sep), {
      outside: () => new ModelError('invalid_config', `${relative} is a symbolic link that leads outside the import folder; copy the file in instead`, { outsideRoot: true }),
      missing: broken,
    });
  };
  const walk = async (prefix: string, depth: number) => {
    for (const name of (await readdir(path.join(dir, prefix))).sort()) {
      if (name.startsWith('.') || name.endsWith('.part')) continue;
      const relative = prefix ? `${prefix}/${name}` : name;
      const real = await resolve(relative);
      const info = await lstat(real);
      if (info.isDirectory()) {
        if (depth < MAX_DEPTH) await walk(relative, depth + 1);
      } else if (info.isFile() && isModelFile({ path: relative, size: info.size })) {
        files.push({ relative, path: real, size: info.size });
      }
    }
  };
  await walk('', 0);
  return files;
}

/**
 * Opens a file that was checked, without following a symlink put in its place since, and checks
 * that what was opened is a regular file still inside the root (on Linux by the descriptor's own
 * path). The caller reads the content through this handle only.
 */
export async function openCheckedFile({ root, file }: { root: ImportRoot; file: string }): Promise<FileHandle> {
  const handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW).catch((error: NodeJS.ErrnoException) => {
    throw new ModelError('invalid_config', `${path.basename(file)} changed while it was being imported (${error.code ?? error.message}); import it again`);
  });
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new ModelError('invalid_config', `${path.basename(file)} is not a regular file`);
    if (root !== null) {
      const opened = await readlink(`/proc/self/fd/${handle.fd}`).catch(() => null);
      const realRoot = await realpath(root);
      if (opened !== null && !inside(realRoot, opened)) throw new ModelError('invalid_config', `${path.basename(file)} was replaced by a file outside the import folder; import it again`);
    }
    return handle;
  } catch (error) {
    await handle.close();
    throw error;
  }
}

export type StagedFile = { relative: string; sha256: string; size: number };

/**
 * Puts the model files of an import from the server's disk into the artifact store, reading each
 * through the handle that was checked (openCheckedFile). `beforeCopy` sees the files and their
 * total size first, and may refuse them (a storage quota).
 */
export async function stageImportFiles({
  root,
  sourceRef,
  kind,
  store,
  beforeCopy,
  onFile,
}: {
  root: ImportRoot;
  sourceRef: string;
  kind: 'folder' | 'file';
  store: Pick<ArtifactStore, 'put'>;
  beforeCopy?: (files: ImportFile[], totalBytes: number) => Promise<void>;
  onFile?: (bytesDone: number, totalBytes: number) => void;
}): Promise<StagedFile[]> {
  const resolved = await resolveImportPath({ root, given: sourceRef, param: kind === 'folder' ? 'dir' : 'file' }).catch((error: unknown) => {
    if (error instanceof LatheError) throw new ModelError('invalid_config', error.message);
    throw error;
  });
  if (resolved.kind !== kind) throw new ModelError('invalid_config', `${sourceRef} is no longer a ${kind}`);
  const files = kind === 'folder' ? await listImportFiles({ root, dir: resolved.path }) : [{ relative: path.basename(resolved.path), path: resolved.path, size: resolved.size }];
  const totalBytes = files.reduce((sum, file) => sum + file.size, 0);
  await beforeCopy?.(files, totalBytes);
  const staged: StagedFile[] = [];
  let done = 0;
  for (const file of files) {
    const handle = await openCheckedFile({ root, file: file.path });
    try {
      const ref = await store.put(handle.createReadStream({ autoClose: false }));
      staged.push({ relative: file.relative, sha256: ref.sha256, size: ref.size });
      done += ref.size;
      onFile?.(done, totalBytes);
    } finally {
      await handle.close();
    }
  }
  return staged;
}
