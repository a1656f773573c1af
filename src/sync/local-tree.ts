// The local side of a mapping: walk it (minus ignores) with content hashes for the initial sync,
// and read one path's current state into a tar entry when a batch is sent.
import { createHash } from 'node:crypto';
import { lstat, readFile, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { HashAlgo, Tree } from '../core/sync/listing';
import type { IgnoreRules } from '../core/sync/ignore-rules';
import type { TarEntry } from '../core/sync/tar';

const localPath = (root: string, rel: string) => join(root, ...rel.split('/'));

export function hashOf(data: Buffer, algo: HashAlgo): string {
  return createHash(algo).update(data).digest('hex');
}

/** Every path under `root` that the rules keep, with content hashes (files) and exec bits. */
export async function walkLocal(root: string, rules: IgnoreRules, algo: HashAlgo | undefined): Promise<Tree> {
  const tree: Tree = new Map();
  const visit = async (rel: string): Promise<void> => {
    const entries = await readdir(localPath(root, rel), { withFileTypes: true });
    await Promise.all(
      entries.map(async (e) => {
        const child = rel ? `${rel}/${e.name}` : e.name;
        if (/[\n\r\0]/.test(e.name)) return;
        if (e.isDirectory()) {
          if (rules.ignores(child, true)) return;
          tree.set(child, { hash: '', dir: true });
          await visit(child);
        } else if (e.isSymbolicLink()) {
          if (rules.ignores(child, false)) return;
          tree.set(child, { hash: '', link: await readlink(localPath(root, child)) });
        } else if (e.isFile()) {
          if (rules.ignores(child, false)) return;
          const p = localPath(root, child);
          const [data, st] = await Promise.all([readFile(p), lstat(p)]);
          tree.set(child, { hash: algo ? hashOf(data, algo) : '', ...(st.mode & 0o100 ? { exec: true } : {}) });
        }
      }),
    );
  };
  await visit('');
  return tree;
}

/** The tar entry for a path's current local state; undefined when it no longer exists. */
export async function readEntry(root: string, rel: string): Promise<TarEntry | undefined> {
  const p = localPath(root, rel);
  try {
    const st = await lstat(p);
    const base = { path: rel, mode: st.mode & 0o7777, mtimeSec: Math.floor(st.mtimeMs / 1000) };
    if (st.isDirectory()) return { ...base, type: 'dir' };
    if (st.isSymbolicLink()) return { ...base, type: 'symlink', linkname: await readlink(p) };
    if (st.isFile()) return { ...base, type: 'file', data: await readFile(p) };
    return undefined;
  } catch (e) {
    // Deleted (or replaced by another type) while being read: the watcher reports that change too.
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return undefined;
    throw e;
  }
}
