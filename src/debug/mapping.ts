// Which local folder is which folder in the container, for breakpoints and stack frames: the sync
// mapping of `.vscode/devlane.json` (Devlane copies the files, so it knows both sides); without one,
// the container's working directory and the workspace folder, said in the log.
import { readMapping } from '../sync/service-sync';
import { ConfigError } from '../core/sync/config';
import { type Platform, resolveLocalRoot } from '../core/sync/paths';
import { normalizeRemoteRoot, toNativePath } from './attach-config';
import { DebugError } from './errors';

export interface DebugPathMapping {
  localRoot: string;
  remoteRoot: string;
  /** Where it came from: the sync mapping, or the fallback. */
  from: 'sync-mapping' | 'working-dir';
}

export const hostPlatform: Platform =
  process.platform === 'win32' || process.platform === 'darwin' ? process.platform : 'linux';

/** A ConfigError that means "there is no mapping for this service" rather than "the file is wrong". */
function isMissing(err: unknown, service: string): boolean {
  return (
    err instanceof ConfigError &&
    ((err.field === '(file)' && /does not exist/.test(err.message)) || err.field === `services.${service}`)
  );
}

/** The two roots of a sync mapping, the local one absolute and in the host's own form. Pure. */
export function mappedRoots(
  workspaceFolder: string,
  m: { localPath: string; remotePath: string },
  platform: Platform,
): { localRoot: string; remoteRoot: string } {
  return {
    localRoot: toNativePath(resolveLocalRoot(workspaceFolder, m.localPath, platform), platform),
    remoteRoot: normalizeRemoteRoot(m.remotePath),
  };
}

export async function debugPathMapping(o: {
  workspaceFolder: string;
  service: string;
  workingDir?: string;
  platform?: Platform;
  note?: (line: string) => void;
}): Promise<DebugPathMapping> {
  const platform = o.platform ?? hostPlatform;
  try {
    const m = await readMapping(o.workspaceFolder, o.service);
    return { ...mappedRoots(o.workspaceFolder, m, platform), from: 'sync-mapping' };
  } catch (err) {
    if (!isMissing(err, o.service)) throw err;
  }
  if (!o.workingDir) {
    throw new DebugError(
      'no-path-mapping',
      `Devlane cannot tell where ${o.service}'s source is in the container: .vscode/devlane.json has no mapping for it, and its container sets no workingDir`,
      `Add { "version": 1, "services": { "${o.service}": { "localPath": ".", "remotePath": "/app" } } } to .vscode/devlane.json (with your folders), then start debugging again.`,
    );
  }
  const { localRoot, remoteRoot } = mappedRoots(
    o.workspaceFolder,
    { localPath: '.', remotePath: o.workingDir },
    platform,
  );
  o.note?.(
    `${o.service}: no sync mapping in .vscode/devlane.json; mapping the workspace folder ${localRoot} to the container's working directory ${remoteRoot}. Add a mapping if the source lives elsewhere.`,
  );
  return { localRoot, remoteRoot, from: 'working-dir' };
}
