// Local paths (Windows, macOS, Linux) to the container's POSIX paths. A mapping is stored with a
// workspace-relative local folder, so the same `.vscode/devlane.json` works on every machine;
// these functions turn what the editor or the watcher reports into the path inside the container.
import { posix } from 'node:path';

export type Platform = 'win32' | 'darwin' | 'linux';

/** `C:\Users\a\app` → `c:/Users/a/app`; `\\?\C:\x` → `c:/x`; UNC `\\srv\share\x` → `//srv/share/x`. */
export function toSlashes(path: string, platform: Platform): string {
  if (platform !== 'win32') return path;
  let p = path.replace(/^\\\\\?\\(?=[A-Za-z]:)/, '').replace(/\\/g, '/');
  p = p.replace(/^([A-Za-z]):/, (_m, d: string) => `${d.toLowerCase()}:`);
  return p;
}

/** Case-insensitive file systems: Windows always, macOS by default (APFS and HFS+ as shipped). */
export function caseInsensitive(platform: Platform): boolean {
  return platform === 'win32' || platform === 'darwin';
}

function normalize(p: string): string {
  const n = posix.normalize(p);
  return n.length > 1 ? n.replace(/\/+$/, '') : n;
}

/**
 * The path of `localPath` inside `localRoot`, with forward slashes and the case the local path
 * has (the container's file system is case-sensitive); '' for the root itself; undefined when
 * outside. The root is matched without regard to case where the local file system ignores it.
 */
export function relativePosix(localRoot: string, localPath: string, platform: Platform): string | undefined {
  const root = normalize(toSlashes(localRoot, platform));
  const path = normalize(toSlashes(localPath, platform));
  const fold = caseInsensitive(platform) ? (s: string) => s.toLowerCase() : (s: string) => s;
  if (fold(path) === fold(root)) return '';
  const prefix = root.endsWith('/') ? root : `${root}/`;
  if (!fold(path).startsWith(fold(prefix))) return undefined;
  const rel = path.slice(prefix.length);
  return rel.split('/').includes('..') ? undefined : rel;
}

/** The container path for a relative POSIX path under the mapping's remote root. */
export function remotePath(remoteRoot: string, rel: string): string {
  return rel === '' ? normalize(remoteRoot) : posix.join(normalize(remoteRoot), rel);
}

/** A mapping's `localPath` (relative to the workspace folder, or absolute) as an absolute local path. */
export function resolveLocalRoot(workspaceFolder: string, localPath: string, platform: Platform): string {
  const folder = normalize(toSlashes(workspaceFolder, platform));
  const lp = toSlashes(localPath, platform);
  if (lp.startsWith('/') || /^[a-z]:\//.test(lp)) return normalize(lp);
  return normalize(posix.join(folder, lp || '.'));
}

/** Why a relative path cannot be sent as it is, or undefined. */
export function unsafeRelative(rel: string): string | undefined {
  if (rel === '' || rel.startsWith('/')) return 'is not inside the mapped folder';
  if (rel.split('/').some((s) => s === '..' || s === '.' || s === '')) return 'has an empty, "." or ".." segment';
  if (/[\n\r\0]/.test(rel)) return 'has a line break or NUL in its name, which the container receiver cannot carry';
  return undefined;
}
