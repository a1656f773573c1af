// Where sync may write in the container. The first sync deletes what the container has and the
// local folder does not, so a remotePath of `/` or a system directory would wipe the image's
// programs and libraries; those are refused before anything is sent. Paths the image uses for
// code (/usr/src/app, /usr/share/nginx/html, /var/www, /home/node/app, /opt/app) stay allowed:
// only the system directories themselves, and the trees that never hold a service's code, are refused.
import { posix } from 'node:path';

/** Refused as remotePath themselves (what is inside may be a service's folder). */
const systemDirs = new Set([
  '/',
  '/bin',
  '/boot',
  '/dev',
  '/etc',
  '/home',
  '/lib',
  '/lib32',
  '/lib64',
  '/libx32',
  '/media',
  '/mnt',
  '/opt',
  '/proc',
  '/root',
  '/run',
  '/sbin',
  '/sys',
  '/tmp',
  '/usr',
  '/usr/bin',
  '/usr/include',
  '/usr/lib',
  '/usr/lib32',
  '/usr/lib64',
  '/usr/libexec',
  '/usr/local',
  '/usr/local/bin',
  '/usr/local/include',
  '/usr/local/lib',
  '/usr/local/sbin',
  '/usr/local/share',
  '/usr/sbin',
  '/usr/share',
  '/usr/src',
  '/var',
  '/var/cache',
  '/var/lib',
  '/var/log',
  '/var/run',
  '/var/spool',
  '/var/tmp',
]);

/** Refused with everything inside: kernel interfaces, boot files, programs, libraries, system configuration. */
const systemTrees = [
  '/proc',
  '/sys',
  '/dev',
  '/boot',
  '/bin',
  '/sbin',
  '/lib',
  '/lib32',
  '/lib64',
  '/libx32',
  '/etc',
  '/run',
  '/usr/bin',
  '/usr/sbin',
  '/usr/lib',
  '/usr/lib32',
  '/usr/lib64',
  '/usr/libexec',
  '/usr/include',
  '/usr/local/bin',
  '/usr/local/sbin',
];

/** An absolute POSIX path without `.`, `..`, doubled or trailing slashes. */
export function normalizeRemote(path: string): string {
  const n = posix.normalize(path);
  return n.length > 1 ? n.replace(/\/+$/, '') : n;
}

/** Whether `path` is `dir` or inside it (both normalized). */
export function isWithin(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir === '/' ? '/' : `${dir}/`);
}

/** Why `remotePath` cannot be synced into (with what to do instead), or undefined when it can. */
export function remotePathProblem(remotePath: string): string | undefined {
  if (!remotePath.startsWith('/'))
    return `must be an absolute path in the container, such as /app (got ${JSON.stringify(remotePath)})`;
  const p = normalizeRemote(remotePath);
  const tree = systemTrees.find((t) => isWithin(p, t));
  if (!systemDirs.has(p) && !tree) return undefined;
  const what =
    p === '/'
      ? 'the root of the container'
      : tree && tree !== p
        ? `inside ${tree}, a system directory`
        : 'a system directory';
  return (
    `${JSON.stringify(remotePath)} is ${what}: the first sync deletes whatever there is not in your local folder, which would remove the image's own files. ` +
    `Set remotePath to the folder that holds only the service's code (the image's WORKDIR, such as /app or /usr/src/app)`
  );
}
