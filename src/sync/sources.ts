// Where changes come from: a chokidar watcher for changes made outside the editor (a branch
// switch, a generator, a formatter), and the editor's save events, passed in as a plain Event so
// that this file never imports vscode. Both feed the same Syncer; it drops duplicates by content.
import { watch, type FSWatcher } from 'chokidar';
import { basename, join } from 'node:path';
import type { Event } from '../core/events';
import { type IDisposable, toDisposable } from '../core/lifecycle';
import type { Logger } from '../core/logger';
import type { IgnoreRules } from '../core/sync/ignore-rules';
import { relativePosix, type Platform } from '../core/sync/paths';
import type { Syncer } from './syncer';

const hostPlatform: Platform =
  process.platform === 'win32' || process.platform === 'darwin' ? process.platform : 'linux';

/** Watches `localRoot` (minus ignores) and reports every create, change and delete to `syncer`. Resolves once the watcher is ready. */
export async function watchFolder(
  localRoot: string,
  rules: IgnoreRules,
  syncer: Syncer,
  logger: Logger,
): Promise<IDisposable> {
  const ignored = (path: string, stats?: { isDirectory(): boolean }) => {
    const rel = relativePosix(localRoot, path, hostPlatform);
    if (rel === undefined || rel === '') return false;
    if (stats) return rules.ignores(rel, stats.isDirectory());
    return rules.ignores(rel, false) || rules.prunedNames.includes(basename(path));
  };
  const watcher: FSWatcher = watch(localRoot, {
    ignoreInitial: true,
    ignored,
    persistent: true,
    atomic: false,
    followSymlinks: false,
  });
  const kinds = {
    add: ['create', false],
    change: ['modify', false],
    unlink: ['delete', false],
    addDir: ['create', true],
    unlinkDir: ['delete', true],
  } as const;
  watcher.on('all', (event: string, path: string | Error) => {
    if (typeof path !== 'string') return;
    const k = kinds[event as keyof typeof kinds];
    if (k) syncer.changedPath(path, k[0], k[1]);
  });
  // A chmod changes neither size nor mtime, so chokidar reports no change for it; the raw inotify /
  // FSEvents notification does. The Syncer skips a path whose content and mode it already sent.
  watcher.on('raw', (event: string, name: string, opts: unknown) => {
    const watched = (opts as { watchedPath?: string } | undefined)?.watchedPath;
    if (event !== 'change' || !watched || !name) return;
    const full = basename(watched) === name ? watched : join(watched, name);
    if (!ignored(full)) syncer.changedPath(full, 'modify');
  });
  watcher.on('error', (e) => logger.warn(`sync: the file watcher on ${localRoot} reported: ${(e as Error).message}`));
  await new Promise<void>((r) => watcher.once('ready', () => r()));
  return toDisposable(() => void watcher.close());
}

/** Feeds the editor's save events (absolute file paths) to `syncer`. */
export function followSaves(onDidSave: Event<string>, syncer: Syncer): IDisposable {
  return onDidSave((path) => syncer.changedPath(path, 'modify'));
}
