// Pod volumes on the host, under the pod's directory, as the kubelet lays them out:
// emptyDir is a plain directory that lives as long as the pod; configMap, secret, downwardAPI and
// projected volumes are written with the kubelet's AtomicWriter layout (`..data` -> `..<timestamp>`,
// each key a symlink through `..data`), so a refresh is one atomic rename, as programs that watch
// mounted config expect.

import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import type { Api, KObject } from '../core/types';
import { fieldPathValue, formatMap } from './env';
import type { Json } from './json';

/** A volume the kubelet could not set up: the pod waits in ContainerCreating with a FailedMount event. */
export class MountError extends Error {}

interface FileOut {
  data: Buffer;
  mode: number;
}

export interface PodVolumes {
  /** Host directory of each volume by name. */
  paths: Map<string, string>;
  /** Rewrites the projected volumes whose sources changed. Returns errors by volume name. */
  refresh(pod: KObject): Map<string, string>;
}

const DEFAULT_MODE = 0o644;

function keyFiles(
  data: Record<string, Buffer>,
  items: { key: string; path: string; mode?: number }[] | undefined,
  mode: number,
  what: string,
): Map<string, FileOut> {
  const out = new Map<string, FileOut>();
  if (items && items.length > 0) {
    for (const it of items) {
      if (!(it.key in data)) throw new MountError(`${what} references non-existent config key: ${it.key}`);
      out.set(it.path, { data: data[it.key], mode: it.mode ?? mode });
    }
  } else {
    for (const [k, v] of Object.entries(data)) out.set(k, { data: v, mode });
  }
  return out;
}

function configMapData(o: KObject): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries((o.data ?? {}) as Record<string, string>)) out[k] = Buffer.from(v, 'utf8');
  for (const [k, v] of Object.entries((o.binaryData ?? {}) as Record<string, string>))
    out[k] = Buffer.from(v, 'base64');
  return out;
}

function secretData(o: KObject): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries((o.data ?? {}) as Record<string, string>)) out[k] = Buffer.from(v, 'base64');
  for (const [k, v] of Object.entries((o.stringData ?? {}) as Record<string, string>)) out[k] = Buffer.from(v, 'utf8');
  return out;
}

type Source = Json;

/** The files one projected-style source contributes. */
function sourceFiles(
  api: Api,
  pod: KObject,
  podIP: string,
  src: Source,
  mode: number,
  volName: string,
): Map<string, FileOut> {
  const ns = pod.metadata.namespace;
  if (src.configMap) {
    const cm = api.tryGet('configmaps', ns, src.configMap.name);
    if (!cm) {
      if (src.configMap.optional) return new Map();
      throw new MountError(
        `MountVolume.SetUp failed for volume "${volName}" : configmap "${src.configMap.name}" not found`,
      );
    }
    return keyFiles(
      configMapData(cm),
      src.configMap.items,
      src.configMap.defaultMode ?? mode,
      `MountVolume.SetUp failed for volume "${volName}" : configmap`,
    );
  }
  if (src.secret) {
    const name = src.secret.secretName ?? src.secret.name;
    const s = api.tryGet('secrets', ns, name);
    if (!s) {
      if (src.secret.optional) return new Map();
      throw new MountError(`MountVolume.SetUp failed for volume "${volName}" : secret "${name}" not found`);
    }
    return keyFiles(
      secretData(s),
      src.secret.items,
      src.secret.defaultMode ?? mode,
      `MountVolume.SetUp failed for volume "${volName}" : secret`,
    );
  }
  if (src.downwardAPI) {
    const out = new Map<string, FileOut>();
    for (const it of (src.downwardAPI.items ?? []) as KObject[]) {
      if (it.resourceFieldRef) {
        throw new MountError(
          `MountVolume.SetUp failed for volume "${volName}" : resourceFieldRef is not supported by the sandbox, which enforces no resource limits`,
        );
      }
      const path: string = it.fieldRef.fieldPath;
      const value =
        path === 'metadata.labels'
          ? formatMap(pod.metadata.labels)
          : path === 'metadata.annotations'
            ? formatMap(pod.metadata.annotations)
            : fieldPathValue({ api, pod, podIP, hostIP: '127.0.0.1' }, path);
      out.set(it.path, { data: Buffer.from(value), mode: it.mode ?? src.downwardAPI.defaultMode ?? mode });
    }
    return out;
  }
  if (src.serviceAccountToken) {
    throw new MountError(
      `MountVolume.SetUp failed for volume "${volName}" : serviceAccountToken projections are not supported by the sandbox (it issues no service account tokens); remove the source or set automountServiceAccountToken: false`,
    );
  }
  return new Map();
}

function volumeFiles(api: Api, pod: KObject, podIP: string, v: KObject): Map<string, FileOut> | undefined {
  if (v.configMap)
    return sourceFiles(
      api,
      pod,
      podIP,
      { configMap: v.configMap } as Source,
      v.configMap.defaultMode ?? DEFAULT_MODE,
      v.name,
    );
  if (v.secret)
    return sourceFiles(api, pod, podIP, { secret: v.secret } as Source, v.secret.defaultMode ?? DEFAULT_MODE, v.name);
  if (v.downwardAPI)
    return sourceFiles(
      api,
      pod,
      podIP,
      { downwardAPI: v.downwardAPI } as Source,
      v.downwardAPI.defaultMode ?? DEFAULT_MODE,
      v.name,
    );
  if (v.projected) {
    const all = new Map<string, FileOut>();
    for (const s of (v.projected.sources ?? []) as Source[]) {
      for (const [k, f] of sourceFiles(api, pod, podIP, s, v.projected.defaultMode ?? DEFAULT_MODE, v.name))
        all.set(k, f);
    }
    return all;
  }
  return undefined;
}

function fingerprint(files: Map<string, FileOut>): string {
  return JSON.stringify(
    [...files].sort(([a], [b]) => a.localeCompare(b)).map(([k, f]) => [k, f.mode, f.data.toString('base64')]),
  );
}

/** The kubelet's AtomicWriter: a new timestamped dir, `..data` swapped by rename, user-visible names as symlinks. */
export function writeAtomic(dir: string, files: Map<string, FileOut>): void {
  mkdirSync(dir, { recursive: true });
  const stamp = `..${new Date().toISOString().replace(/[-:]/g, '_').replace('T', '_').replace('Z', '')}${Math.random().toString(36).slice(2, 8)}`;
  const tsDir = join(dir, stamp);
  mkdirSync(tsDir);
  for (const [rel, f] of files) {
    const p = join(tsDir, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, f.data);
    chmodSync(p, f.mode & 0o7777);
  }
  let old: string | undefined;
  try {
    old = readlinkSync(join(dir, '..data'));
  } catch {
    // first write
  }
  symlinkSync(stamp, join(dir, '..data_tmp'));
  renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
  const tops = new Set([...files.keys()].map((k) => k.split('/')[0]));
  for (const t of tops) {
    const link = join(dir, t);
    if (!existsSync(link) && !isLink(link)) symlinkSync(join('..data', t), link);
  }
  for (const name of readdirSync(dir)) {
    if (name.startsWith('..') || tops.has(name)) continue;
    if (isLink(join(dir, name))) unlinkSync(join(dir, name));
  }
  if (old && old !== stamp) rmSync(join(dir, old), { recursive: true, force: true });
}

function isLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

/** Sets up every volume of the pod under `dir`. Throws MountError when one cannot be set up yet. */
export function setUpVolumes(api: Api, pod: KObject, podIP: string, dir: string): PodVolumes {
  const paths = new Map<string, string>();
  const prints = new Map<string, string>();
  for (const v of (pod.spec?.volumes ?? []) as KObject[]) {
    const p = join(dir, v.name);
    if (v.hostPath) {
      throw new MountError(
        `MountVolume.SetUp failed for volume "${v.name}" : hostPath volumes are not supported by the sandbox (pods run as local processes and must not reach into the host's files); nothing was mounted — use an emptyDir, configMap or secret volume`,
      );
    }
    if (v.persistentVolumeClaim) {
      // The kubelet waits for a bound claim; the sandbox never binds one (no storage at all), so
      // the pod waits in ContainerCreating rather than getting an empty directory in its place.
      const claim = String(v.persistentVolumeClaim.claimName ?? '');
      const ns = pod.metadata.namespace!;
      const found = api.tryGet('persistentvolumeclaims', ns, claim);
      throw new MountError(
        found
          ? `MountVolume.SetUp failed for volume "${v.name}" : PersistentVolumeClaim "${ns}/${claim}" is not bound (phase ${found.status?.phase ?? 'Pending'}): the sandbox has no persistent storage (no PersistentVolumes, no storage provisioner); nothing was mounted — use an emptyDir volume`
          : `MountVolume.SetUp failed for volume "${v.name}" : persistentvolumeclaim "${claim}" not found (and the sandbox has no persistent storage: a claim would never be bound); nothing was mounted — use an emptyDir volume`,
      );
    }
    if (v.emptyDir) {
      mkdirSync(p, { recursive: true, mode: 0o777 });
      chmodSync(p, 0o777);
    } else {
      const files = volumeFiles(api, pod, podIP, v);
      if (!files) {
        const kind = Object.keys(v).find((k) => k !== 'name') ?? 'unknown';
        throw new MountError(
          `MountVolume.SetUp failed for volume "${v.name}" : volume type ${kind} is not supported by the sandbox (supported: emptyDir, configMap, secret, downwardAPI, projected)`,
        );
      }
      const fp = fingerprint(files);
      if (!existsSync(join(p, '..data'))) writeAtomic(p, files);
      prints.set(v.name, fp);
    }
    paths.set(v.name, p);
  }
  return {
    paths,
    refresh(current: KObject) {
      const errors = new Map<string, string>();
      for (const v of (current.spec?.volumes ?? []) as KObject[]) {
        if (!prints.has(v.name)) continue;
        try {
          const files = volumeFiles(api, current, podIP, v)!;
          const fp = fingerprint(files);
          if (fp !== prints.get(v.name)) {
            writeAtomic(paths.get(v.name)!, files);
            prints.set(v.name, fp);
          }
        } catch (e) {
          errors.set(v.name, (e as Error).message);
        }
      }
      return errors;
    },
  };
}

/** Host source for one volumeMount (subPath resolved; a subPath of a projected volume is a snapshot, as in Kubernetes). */
export function mountSource(vols: PodVolumes, m: KObject, expandSub: (s: string) => string): string {
  const base = vols.paths.get(m.name);
  if (!base) throw new MountError(`volumeMount "${m.name}" names no volume of the pod`);
  const sub: string | undefined = m.subPath ?? (m.subPathExpr ? expandSub(m.subPathExpr) : undefined);
  if (!sub) return base;
  if (sub.split('/').includes('..') || sub.startsWith('/'))
    throw new MountError(`subPath "${sub}" must be a relative path without ".."`);
  const p = join(base, sub);
  if (!existsSync(p)) {
    if (existsSync(join(base, '..data'))) throw new MountError(`subPath "${sub}" does not exist in volume "${m.name}"`);
    mkdirSync(p, { recursive: true, mode: 0o777 });
  }
  // A key of a configMap/secret is a symlink through ..data: bind what it points to now.
  return existsSync(join(base, '..data')) ? join(base, '..data', sub) : p;
}
