// Images as local folders: sandbox/images/<name>/image.json (the image config a registry would
// serve: entrypoint, cmd, workingDir, env) and rootfs/ (the image's own files; everything else —
// /usr, /etc, the runtimes — comes read-only from the host). A reference such as
// `docker.io/library/node:20-slim@sha256:...` names the folder `node`.
//
// More fields say where the rest of an image comes from (the real cluster reads them too):
// `hostPaths`, host paths the image holds at the same place (the Go toolchain in /usr/local/go, as
// /usr/local is otherwise empty); `goBinaries`, files built with the host's Go (path in the image →
// `PKG@VERSION` from the module proxy, or a module folder relative to the image's folder); and
// `scratch`, an image with nothing but its own files, as a distroless one (no host /usr or /etc).

import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { goBinary } from '../../scripts/lib/go-build.mjs';

export interface ImageConfig {
  entrypoint: string[];
  cmd: string[];
  workingDir: string;
  env: string[];
  user?: string;
  hostPaths: string[];
  goBinaries: Record<string, string>;
  scratch: boolean;
}

export interface ResolvedImage {
  /** The reference as written in the pod spec. */
  ref: string;
  /** The fully qualified reference the runtime reports in containerStatuses[].image. */
  fullName: string;
  /** The folder name under the images dir. */
  name: string;
  /** The image's folder. */
  dir: string;
  config: ImageConfig;
  rootfs: string;
  /** `docker.io/library/node@sha256:...`, as containerStatuses[].imageID reads. */
  imageID: string;
}

export interface ParsedRef {
  registry: string;
  repository: string; // e.g. library/node
  name: string; // last path segment: node
  tag?: string;
  digest?: string;
}

/** Parses `[registry/][path/]name[:tag][@digest]` as the docker reference grammar does. */
export function parseImageRef(ref: string): ParsedRef {
  let rest = ref.trim();
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const parts = rest.split('/');
  let registry = 'docker.io';
  // The first component is a registry when it looks like a host (has a dot or port, or is localhost).
  if (parts.length > 1 && (/[.:]/.test(parts[0]) || parts[0] === 'localhost')) registry = parts.shift()!;
  if (registry === 'docker.io' && parts.length === 1) parts.unshift('library');
  const repository = parts.join('/');
  const name = parts[parts.length - 1];
  return { registry, repository, name, ...(tag !== undefined ? { tag } : {}), ...(digest ? { digest } : {}) };
}

export function fullImageName(p: ParsedRef): string {
  const base = `${p.registry}/${p.repository}`;
  if (p.digest && p.tag === undefined) return `${base}@${p.digest}`;
  return `${base}:${p.tag ?? 'latest'}`;
}

/** As the API server defaults it: Always for `:latest` or no tag, IfNotPresent otherwise. */
export function defaultPullPolicy(ref: string): 'Always' | 'IfNotPresent' {
  const p = parseImageRef(ref);
  return p.digest || (p.tag !== undefined && p.tag !== 'latest') ? 'IfNotPresent' : 'Always';
}

/** The error a runtime gives for an image no registry has, in containerd's words. */
export class ImageNotFound extends Error {}

export function resolveImage(imagesDir: string, ref: string): ResolvedImage {
  const p = parseImageRef(ref);
  const full = fullImageName(p);
  const dir = join(imagesDir, p.name);
  const configPath = join(dir, 'image.json');
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(p.name) || !existsSync(configPath)) {
    throw new ImageNotFound(
      `rpc error: code = NotFound desc = failed to pull and unpack image "${full}": failed to resolve reference "${full}": ${full}: not found` +
        ` (the sandbox serves only the images under ${imagesDir}; add a folder ${p.name}/ with image.json and rootfs/ to serve this one)`,
    );
  }
  const raw = readFileSync(configPath, 'utf8');
  const json = JSON.parse(raw) as Partial<ImageConfig>;
  const config: ImageConfig = {
    entrypoint: json.entrypoint ?? [],
    cmd: json.cmd ?? [],
    workingDir: json.workingDir || '/',
    env: json.env ?? [],
    ...(json.user ? { user: json.user } : {}),
    hostPaths: json.hostPaths ?? [],
    goBinaries: json.goBinaries ?? {},
    scratch: json.scratch === true,
  };
  const digest = 'sha256:' + createHash('sha256').update(p.name).update(raw).digest('hex');
  return {
    ref,
    fullName: full,
    name: p.name,
    dir,
    config,
    rootfs: join(dir, 'rootfs'),
    imageID: `${p.registry}/${p.repository}@${digest}`,
  };
}

/** The process a container runs, as Kubernetes combines command/args with the image's entrypoint/cmd. */
export function containerArgv(
  image: Pick<ImageConfig, 'entrypoint' | 'cmd'>,
  command: string[] | undefined,
  args: string[] | undefined,
): string[] {
  if (command && command.length > 0) return [...command, ...(args ?? [])];
  if (args && args.length > 0) return [...image.entrypoint, ...args];
  return [...image.entrypoint, ...image.cmd];
}

/**
 * Host files the image shows read-only, as [host path, path in the container]: its `hostPaths`, and
 * its `goBinaries` built (or found in the cache) with the host's Go. Fails with ImageNotFound, as a
 * pull that cannot complete, when a host path is missing or a build fails.
 */
export async function imageHostFiles(img: ResolvedImage, say: (m: string) => void): Promise<[string, string][]> {
  const out: [string, string][] = [];
  for (const p of img.config.hostPaths) {
    if (!existsSync(p))
      throw new ImageNotFound(
        `the sandbox's image ${img.name} takes ${p} from this machine, which has none (install what provides it, e.g. Go in /usr/local/go)`,
      );
    out.push([p, p]);
  }
  for (const [target, source] of Object.entries(img.config.goBinaries)) {
    const from = source.includes('@') ? source : resolve(img.dir, source);
    try {
      out.push([await goBinary(from, say), target]);
    } catch (e) {
      throw new ImageNotFound(`the sandbox's image ${img.name} could not build ${target}: ${(e as Error).message}`);
    }
  }
  return out;
}
