// Initial sync: a listing of the container's tree (content hashes, executable bits, folders),
// compared with the local tree to send only what differs and delete what is gone locally. The
// listing script needs find and sha256sum or md5sum; with neither it says so, and every file is sent.
import type { IgnoreRules } from './ignore-rules';
import { type KeptPaths, noKeptPaths } from './mounts';

export type HashAlgo = 'sha256' | 'md5';

export interface TreeEntry {
  /** Content hash (files), '' for folders and symlinks (symlinks carry their target in `link`). */
  hash: string;
  dir?: boolean;
  exec?: boolean;
  link?: string;
}

export type Tree = Map<string, TreeEntry>;

export interface RemoteListing {
  algo: HashAlgo | undefined;
  tree: Tree;
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** find's -path matches a glob: its special characters are escaped to match themselves. */
const literalGlob = (s: string) => s.replace(/[\\*?[\]]/g, (c) => `\\${c}`);

/** The listing script for `root`, skipping folders named in `pruned` (ignored anywhere) and the relative paths in `kept` (mounted volumes). */
export function listingCommand(root: string, pruned: string[], kept: readonly string[] = []): string[] {
  const tests = [...pruned.map((n) => `-name ${q(n)}`), ...kept.map((k) => `-path ${q(`./${literalGlob(k)}`)}`)];
  const prune = tests.length ? `\\( ${tests.join(' -o ')} \\) -prune -o` : '';
  const script = `
cd ${q(root)} 2>/dev/null || { echo "NOROOT"; exit 0; }
if command -v sha256sum >/dev/null 2>&1; then h=sha256sum; a=sha256; elif command -v md5sum >/dev/null 2>&1; then h=md5sum; a=md5; else h=; a=none; fi
echo "ALGO $a"
echo "DIRS"; find . ${prune} -type d -print
echo "LINKS"; find . ${prune} -type l -print
echo "EXEC"; find . ${prune} -type f -perm -u+x -print
echo "FILES"
if [ -n "$h" ]; then find . ${prune} -type f -exec $h {} + ; else find . ${prune} -type f -print | sed 's/^/- /'; fi
echo "END"
`;
  return ['sh', '-c', script];
}

const strip = (p: string) => p.replace(/^\.\//, '');

/** Parses the listing's output. Lines for names with a newline (escaped by sha256sum with `\`) are skipped. */
export function parseListing(output: string): RemoteListing | 'no-root' {
  const tree: Tree = new Map();
  let algo: HashAlgo | undefined;
  let section = '';
  const execs = new Set<string>();
  for (const line of output.split('\n')) {
    if (line === 'NOROOT') return 'no-root';
    if (line.startsWith('ALGO ')) {
      const a = line.slice(5);
      algo = a === 'sha256' || a === 'md5' ? a : undefined;
      continue;
    }
    if (line === 'DIRS' || line === 'LINKS' || line === 'EXEC' || line === 'FILES' || line === 'END') {
      section = line;
      continue;
    }
    if (!line) continue;
    if (section === 'DIRS') {
      const p = strip(line);
      if (p !== '.' && p !== '') tree.set(p, { hash: '', dir: true });
    } else if (section === 'LINKS') tree.set(strip(line), { hash: '', link: '?' });
    else if (section === 'EXEC') execs.add(strip(line));
    else if (section === 'FILES') {
      if (line.startsWith('\\')) continue;
      const m = /^(\S+) [ *](.*)$/.exec(line);
      if (!m) continue;
      const p = strip(m[2]);
      tree.set(p, { hash: m[1] === '-' ? '' : m[1], ...(execs.has(p) ? { exec: true } : {}) });
    }
  }
  return { algo, tree };
}

export interface SyncPlan {
  /** Paths to write from the local tree (files, folders, symlinks), parents first. */
  writes: string[];
  /** Remote paths gone locally, outermost only. */
  deletes: string[];
}

/**
 * What to send so that the container equals the local tree (minus ignores). Remote paths that
 * the rules ignore are left alone: they belong to the image (node_modules installed at build).
 * Kept paths (mounted volumes) are neither written nor deleted, and a folder holding one is
 * emptied around it instead of deleted. Symlinks are always rewritten (the listing does not read
 * their targets); without a hash algorithm every file is written.
 */
export function planInitialSync(
  local: Tree,
  remote: RemoteListing,
  rules: IgnoreRules,
  kept: KeptPaths = noKeptPaths,
): SyncPlan {
  const writes: string[] = [];
  for (const [path, l] of local) {
    if (kept.covers(path) || (!l.dir && kept.inside(path).length)) continue;
    const r = remote.tree.get(path);
    if (l.dir) {
      if (!r?.dir) writes.push(path);
    } else if (l.link !== undefined) writes.push(path);
    else if (!r || r.dir || r.link !== undefined || !remote.algo || r.hash !== l.hash || !!r.exec !== !!l.exec)
      writes.push(path);
  }
  const deletes: string[] = [];
  const gone = [...remote.tree.entries()].filter(([path, r]) => {
    if (rules.ignores(path, !!r.dir) || kept.covers(path) || kept.inside(path).length) return false;
    const l = local.get(path);
    return !l || !!l.dir !== !!r.dir;
  });
  const goneDirs = new Set(gone.filter(([, r]) => r.dir).map(([p]) => p));
  const covered = (p: string) => {
    for (let i = p.lastIndexOf('/'); i > 0; i = p.lastIndexOf('/', i - 1)) if (goneDirs.has(p.slice(0, i))) return true;
    return false;
  };
  for (const [path] of gone) if (!covered(path)) deletes.push(path);
  const depth = (p: string) => p.split('/').length;
  writes.sort((a, b) => depth(a) - depth(b) || a.localeCompare(b));
  deletes.sort();
  return { writes, deletes };
}
