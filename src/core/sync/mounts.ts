// Volumes the synced container mounts inside remotePath are not the local folder's: a
// ReadWriteMany claim, an NFS share or a hostPath is shared with production, a configMap or a
// secret belongs to the cluster, an emptyDir holds what the program wrote. Sync never lists,
// deletes or writes below them. Only the volumes Devlane adds for itself (named in the copy's
// `devlane.dev/sync` annotation) are its own. A remotePath that is itself on a shared volume is
// refused; one on an emptyDir (the pod's own scratch space, as when an init container copies the
// code there) is synced.
import type { Json } from '../resources';
import { isWithin, normalizeRemote } from './remote-root';

export interface MountedVolume {
  /** The mount path in the container (normalized). */
  mountPath: string;
  /** The same, relative to remotePath ('' when it is remotePath itself). */
  rel: string;
  volume: string;
  /** The volume's source: persistentVolumeClaim, configMap, emptyDir, … ('unknown' when the pod names no such volume). */
  kind: string;
}

export interface MountsOfTarget {
  /** Mounts strictly inside remotePath: left alone. */
  inside: MountedVolume[];
  /** A mount at or above remotePath that is not the pod's own emptyDir: nothing can be synced. */
  shared?: MountedVolume;
}

function kindOf(volume: Json | undefined): string {
  if (!volume) return 'unknown';
  return Object.keys(volume).find((k) => k !== 'name') ?? 'unknown';
}

/** The mounts of `container` that concern a sync into `remotePath`, from the pod spec. */
export function mountsOfTarget(
  podSpec: Json | undefined,
  container: string,
  remotePath: string,
  ownVolumes: string[],
): MountsOfTarget {
  const root = normalizeRemote(remotePath);
  const c: Json | undefined = (podSpec?.containers ?? []).find((x: Json) => x.name === container);
  const volumes: Json[] = podSpec?.volumes ?? [];
  const inside: MountedVolume[] = [];
  let covering: MountedVolume | undefined;
  for (const m of (c?.volumeMounts ?? []) as Json[]) {
    if (typeof m.mountPath !== 'string' || !m.mountPath.startsWith('/')) continue;
    const mountPath = normalizeRemote(m.mountPath);
    const kind = kindOf(volumes.find((v) => v.name === m.name));
    const mv = { mountPath, volume: String(m.name), kind };
    if (isWithin(root, mountPath)) {
      // The deepest mount above remotePath is the file system remotePath is on.
      if (!covering || covering.mountPath.length < mountPath.length) covering = { ...mv, rel: '' };
    } else if (isWithin(mountPath, root) && !ownVolumes.includes(mv.volume))
      inside.push({ ...mv, rel: mountPath.slice(root === '/' ? 1 : root.length + 1) });
  }
  inside.sort((a, b) => a.rel.localeCompare(b.rel));
  const shared =
    covering && covering.kind !== 'emptyDir' && !ownVolumes.includes(covering.volume) ? covering : undefined;
  return { inside, ...(shared ? { shared } : {}) };
}

/** Relative paths sync keeps away from: each one and everything below it. */
export class KeptPaths {
  constructor(readonly paths: readonly string[]) {}

  /** `rel` is a kept path or inside one. */
  covers(rel: string): boolean {
    return this.paths.some((k) => rel === k || rel.startsWith(`${k}/`));
  }

  /** The kept paths strictly inside `rel` (deleting `rel` as a whole would reach them). */
  inside(rel: string): string[] {
    return this.paths.filter((k) => k.startsWith(`${rel}/`));
  }
}

export const noKeptPaths = new KeptPaths([]);

/** For the status and the log: `/app/config (configMap "settings")`. */
export function describeMount(m: MountedVolume): string {
  return `${m.mountPath} (${m.kind} "${m.volume}")`;
}
