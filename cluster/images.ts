// The container images of the real cluster. No registry can be reached, so each image that the
// demo, the router and the tests name is built here from this machine's Debian packages: the
// files of the listed packages, every shared library their programs load, busybox for the shell
// and the usual commands, and the same small files the sandbox's image of that name has
// (sandbox/images/NAME/rootfs: entrypoints, nginx.conf). What that image.json adds is honoured
// the same way: `hostPaths` are copied in (the Go toolchain), `goBinaries` are built with this
// machine's Go (delve, the demo's Go service; scripts/lib/go-build.mjs caches them), and a
// `scratch` image holds only its own files and those binaries (no Debian files, no busybox), as a
// distroless image does. Each is written as an OCI image archive (one layer) under every tag the
// project uses, then imported into containerd's k8s.io namespace.

import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { goBinary } from '../scripts/lib/go-build.mjs';

export interface ImageSpec {
  /** Folder under sandbox/images with image.json and rootfs/. */
  name: string;
  /** References the image is imported under (docker.io/library/ is added to short names). */
  refs: string[];
  /** Debian packages whose files the image holds. */
  packages: string[];
  /** Paths of those packages left out (with the libraries only they load), by prefix. */
  omit?: string[];
}

export const PAUSE_IMAGE = 'localhost/devlane/pause:1';

/** What the official Debian-based images have beyond a shell: GNU coreutils (cksum, sha256sum, …). */
const debianBase = ['coreutils'];

export const IMAGES: ImageSpec[] = [
  { name: 'busybox', refs: ['busybox:1', 'busybox:1.36'], packages: [] },
  { name: 'alpine', refs: ['alpine:3', 'alpine:3.20'], packages: [] },
  { name: 'node', refs: ['node:20', 'node:22', 'node:22-slim'], packages: ['nodejs', ...debianBase] },
  {
    name: 'python',
    refs: ['python:3.11', 'python:3.11-slim', 'python:3.12'],
    packages: [
      'python3.11-minimal',
      'libpython3.11-minimal',
      'libpython3.11-stdlib',
      'python3-minimal',
      'python3-debugpy',
      'python3-pydevd',
      'python3-bytecode',
      ...debianBase,
    ],
  },
  // The official nginx image has curl too (the router reads its own admin port with it).
  {
    name: 'nginx',
    refs: ['nginx:1.25', 'nginx:1.27'],
    packages: ['nginx', 'nginx-common', 'libnginx-mod-stream', 'curl', ...debianBase],
  },
  // Go from /usr/local/go and delve (image.json), with busybox's sh and tar for the file sync.
  { name: 'golang', refs: ['golang:1.26', 'golang:1.26-bookworm'], packages: [...debianBase] },
  // The demo's Go service: its binary and /etc/passwd alone (image.json says scratch), as distroless.
  { name: 'stock', refs: ['devlane-demo/stock:1'], packages: [] },
  // PostgreSQL 15 with its client programs (psql, pg_dump, pg_restore: Devlane's data branches run them
  // in the branch's pod), the time zones it was built to read, the C.UTF-8 locale its LANG names, and
  // setpriv, with which the entrypoint drops from root to the postgres user (uid 999, as officially).
  {
    name: 'postgres',
    refs: ['postgres:15', 'postgres:15-bookworm'],
    packages: ['postgresql-15', 'postgresql-client-15', 'libpq5', 'tzdata', 'libc-bin', 'util-linux', ...debianBase],
    // The JIT provider and its bitcode pull in LLVM (over 100 MB); without them PostgreSQL runs with JIT off.
    omit: ['/usr/lib/postgresql/15/lib/llvmjit', '/usr/lib/postgresql/15/lib/bitcode'],
  },
];

/** sandbox/images/NAME/image.json, with the fields both clusters read. */
interface ImageJson {
  entrypoint: string[];
  cmd: string[];
  workingDir: string;
  env: string[];
  hostPaths?: string[];
  goBinaries?: Record<string, string>;
  scratch?: boolean;
}

const imageJson = (repo: string, name: string): ImageJson =>
  JSON.parse(readFileSync(join(repo, 'sandbox/images', name, 'image.json'), 'utf8'));

/** The image's Go binaries, built (or found in the cache), as [host path, path in the image]. */
async function goBinaries(repo: string, name: string, say: (m: string) => void): Promise<[string, string][]> {
  const out: [string, string][] = [];
  for (const [target, source] of Object.entries(imageJson(repo, name).goBinaries ?? {})) {
    const from = source.includes('@') ? source : resolve(repo, 'sandbox/images', name, source);
    out.push([await goBinary(from, say), target]);
  }
  return out;
}

const fullRef = (ref: string): string => {
  const first = ref.split('/')[0];
  if (ref.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')) return ref;
  return `docker.io/${ref.includes('/') ? '' : 'library/'}${ref}`;
};

function dpkgFiles(pkg: string): string[] {
  const r = spawnSync('dpkg', ['-L', pkg], { encoding: 'utf8' });
  if (r.status !== 0)
    throw new Error(
      `the Debian package ${pkg} is not installed; the cluster's images are built from it. Nothing was started. Run: apt-get install ${pkg}`,
    );
  return r.stdout
    .split('\n')
    .filter(
      (f) =>
        f && !f.startsWith('/usr/share/doc') && !f.startsWith('/usr/share/man') && !f.startsWith('/usr/share/lintian'),
    );
}

function packageVersion(pkg: string): string {
  return spawnSync('dpkg-query', ['-W', '-f=${Version}', pkg], { encoding: 'utf8' }).stdout ?? '';
}

const isElf = (p: string): boolean => {
  try {
    const fd = readFileSync(p, { flag: 'r' }).subarray(0, 4);
    return fd[0] === 0x7f && fd[1] === 0x45 && fd[2] === 0x4c && fd[3] === 0x46;
  } catch {
    return false;
  }
};

/** The shared libraries (and the loader) an ELF file needs, as ldd resolves them on this machine. */
function libraries(file: string): string[] {
  const r = spawnSync('ldd', [file], { encoding: 'utf8' });
  if (r.status !== 0) return [];
  return [...r.stdout.matchAll(/(?:=>\s*)?(\/[^\s]+)\s+\(0x/g)].map((m) => m[1]);
}

/** `p` with its directory resolved (merged /usr), plus whatever chain of links it points through. */
function withLinks(p: string, out: Set<string>): void {
  let dir: string;
  try {
    dir = realpathSync(dirname(p));
  } catch {
    return;
  }
  const q = join(dir, basename(p));
  if (out.has(q) || !existsSync(q) || statSync(q).isDirectory()) return;
  out.add(q);
  if (lstatSync(q).isSymbolicLink()) {
    const target = readlinkSync(q);
    withLinks(target.startsWith('/') ? target : join(dir, target), out);
  }
}

function hostFiles(spec: ImageSpec): string[] {
  const files = new Set<string>();
  for (const pkg of spec.packages) {
    for (const f of dpkgFiles(pkg)) {
      // Folders come with the files in them; a link to a folder (merged /usr's /lib) is made by baseFiles.
      if (!existsSync(f) || statSync(f).isDirectory() || spec.omit?.some((o) => f.startsWith(o))) continue;
      withLinks(f, files);
    }
  }
  withLinks('/bin/busybox', files);
  for (const f of [...files])
    if (!lstatSync(f).isSymbolicLink() && isElf(f)) for (const lib of libraries(f)) withLinks(lib, files);
  return [...files].sort();
}

function baseFiles(root: string): void {
  for (const d of [
    'usr/bin',
    'usr/sbin',
    'usr/lib',
    'usr/lib64',
    'usr/local/bin',
    'etc',
    'tmp',
    'root',
    'home',
    'var/tmp',
    'run',
    'proc',
    'sys',
    'dev',
  ]) {
    mkdirSync(join(root, d), { recursive: true });
  }
  for (const [link, target] of [
    ['bin', 'usr/bin'],
    ['sbin', 'usr/sbin'],
    ['lib', 'usr/lib'],
    ['lib64', 'usr/lib64'],
  ]) {
    if (!existsSync(join(root, link))) symlinkSync(target, join(root, link));
  }
  execFileSync('chmod', ['1777', join(root, 'tmp'), join(root, 'var/tmp')]);
  writeFileSync(
    join(root, 'etc/passwd'),
    'root:x:0:0:root:/root:/bin/sh\nwww-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n',
  );
  writeFileSync(join(root, 'etc/group'), 'root:x:0:\nwww-data:x:33:\nnogroup:x:65534:\n');
  writeFileSync(join(root, 'etc/nsswitch.conf'), 'passwd: files\ngroup: files\nhosts: files dns\n');
}

function busyboxApplets(root: string): void {
  const list = execFileSync('/bin/busybox', ['--list-full'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const applet of list) {
    const path = join(root, applet.replace(/^(s?bin)\//, 'usr/$1/'));
    if (existsSync(path) || lstatSync(dirname(path), { throwIfNoEntry: false }) === undefined) continue;
    symlinkSync('/usr/bin/busybox', path);
  }
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** Writes an OCI image layout archive of `root` at `archive`, named with every ref. */
function writeOciArchive(
  root: string,
  config: { entrypoint: string[]; cmd: string[]; workingDir: string; env: string[] },
  refs: string[],
  archive: string,
  work: string,
): void {
  const layout = join(work, 'layout');
  const blobs = join(layout, 'blobs/sha256');
  mkdirSync(blobs, { recursive: true });
  const layerPath = join(work, 'layer.tar');
  execFileSync('tar', [
    '--numeric-owner',
    '--owner=0',
    '--group=0',
    '--sort=name',
    '--mtime=@0',
    '-C',
    root,
    '-cf',
    layerPath,
    '.',
  ]);
  const layerDigest = execFileSync('sha256sum', [layerPath], { encoding: 'utf8' }).split(' ')[0];
  const layerSize = statSync(layerPath).size;
  renameSync(layerPath, join(blobs, layerDigest));
  const cfg = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: {
        Env: config.env,
        Entrypoint: config.entrypoint.length ? config.entrypoint : undefined,
        Cmd: config.cmd,
        WorkingDir: config.workingDir,
      },
      rootfs: { type: 'layers', diff_ids: [`sha256:${layerDigest}`] },
      history: [{ created_by: 'devlane cluster: files of Debian packages on the build machine' }],
    }),
  );
  writeFileSync(join(blobs, sha256(cfg)), cfg);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: `sha256:${sha256(cfg)}`,
        size: cfg.length,
      },
      layers: [
        { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: `sha256:${layerDigest}`, size: layerSize },
      ],
    }),
  );
  writeFileSync(join(blobs, sha256(manifest)), manifest);
  writeFileSync(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(
    join(layout, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: refs.map((ref) => ({
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: `sha256:${sha256(manifest)}`,
        size: manifest.length,
        annotations: {
          'io.containerd.image.name': fullRef(ref),
          'org.opencontainers.image.ref.name': ref.split(':').pop(),
        },
      })),
    }),
  );
  execFileSync('tar', ['-C', layout, '-cf', archive, '.']);
}

export interface BuiltImage {
  archive: string;
  refs: string[];
}

function imageKey(repo: string, spec: ImageSpec, binaries: [string, string][]): string {
  const h = createHash('sha256').update(JSON.stringify(spec)).update('v1');
  for (const p of spec.packages) h.update(`${p}=${packageVersion(p)}`);
  // A binary's cache folder is named after its source and the Go version; a host tree by its VERSION file.
  h.update(JSON.stringify(binaries));
  for (const p of imageJson(repo, spec.name).hostPaths ?? [])
    h.update(p).update(existsSync(join(p, 'VERSION')) ? readFileSync(join(p, 'VERSION')) : '');
  const dir = join(repo, 'sandbox/images', spec.name);
  const walk = (d: string) => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      const st = lstatSync(p);
      h.update(p.slice(dir.length));
      if (st.isSymbolicLink()) h.update(readlinkSync(p));
      else if (st.isDirectory()) walk(p);
      else h.update(readFileSync(p));
    }
  };
  walk(dir);
  return h.digest('hex').slice(0, 16);
}

function buildImage(repo: string, spec: ImageSpec, binaries: [string, string][], archive: string): void {
  const work = `${archive}.work`;
  rmSync(work, { recursive: true, force: true });
  const root = join(work, 'rootfs');
  mkdirSync(root, { recursive: true });
  const config = imageJson(repo, spec.name);
  if (!config.scratch) {
    baseFiles(root);
    const list = join(work, 'files.txt');
    writeFileSync(
      list,
      hostFiles(spec)
        .map((f) => f.slice(1))
        .join('\n') + '\n',
    );
    execFileSync('tar', ['-C', '/', '-cf', join(work, 'host.tar'), '--files-from', list]);
    execFileSync('tar', ['-C', root, '--keep-directory-symlink', '-xf', join(work, 'host.tar')]);
    rmSync(join(work, 'host.tar'));
    busyboxApplets(root);
  }
  for (const p of config.hostPaths ?? []) {
    if (!existsSync(p))
      throw new Error(
        `the image ${spec.name} takes ${p} from this machine, which has none. Nothing was started. Install it (Go 1.26 in /usr/local/go) and try again.`,
      );
    // Go's own test suite is not needed to build or debug.
    cpSync(p, join(root, p), { recursive: true, verbatimSymlinks: true, filter: (f) => f !== join(p, 'test') });
  }
  cpSync(join(repo, 'sandbox/images', spec.name, 'rootfs'), root, {
    recursive: true,
    verbatimSymlinks: true,
    force: true,
  });
  for (const [src, target] of binaries) {
    mkdirSync(join(root, dirname(target)), { recursive: true });
    cpSync(src, join(root, target));
  }
  if (existsSync(join(root, 'tmp'))) execFileSync('chmod', ['1777', join(root, 'tmp')]);
  writeOciArchive(root, config, spec.refs, `${archive}.partial`, work);
  renameSync(`${archive}.partial`, archive);
  rmSync(work, { recursive: true, force: true });
}

/** The pause image: the static `pause` binary alone. */
function buildPause(pauseBinary: string, archive: string): void {
  const work = `${archive}.work`;
  rmSync(work, { recursive: true, force: true });
  const root = join(work, 'rootfs');
  mkdirSync(root, { recursive: true });
  cpSync(pauseBinary, join(root, 'pause'));
  writeOciArchive(
    root,
    { entrypoint: ['/pause'], cmd: [], workingDir: '/', env: [] },
    [PAUSE_IMAGE],
    `${archive}.partial`,
    work,
  );
  renameSync(`${archive}.partial`, archive);
  rmSync(work, { recursive: true, force: true });
}

/** Builds the archives that are missing from the cache. */
export async function buildImages(
  repo: string,
  cache: string,
  pauseBinary: string,
  say: (m: string) => void,
): Promise<BuiltImage[]> {
  mkdirSync(cache, { recursive: true });
  const out: BuiltImage[] = [];
  const pause = join(cache, `pause-${sha256(readFileSync(pauseBinary)).slice(0, 16)}.tar`);
  if (!existsSync(pause)) buildPause(pauseBinary, pause);
  out.push({ archive: pause, refs: [PAUSE_IMAGE] });
  for (const spec of IMAGES) {
    const binaries = await goBinaries(repo, spec.name, say);
    const archive = join(cache, `${spec.name}-${imageKey(repo, spec, binaries)}.tar`);
    if (!existsSync(archive)) {
      say(`building image ${spec.name} (${spec.refs.join(', ')})`);
      buildImage(repo, spec, binaries, archive);
      // Archives of this image from older package versions or definitions are never used again.
      for (const f of readdirSync(cache))
        if (f.startsWith(`${spec.name}-`) && join(cache, f) !== archive)
          rmSync(join(cache, f), { recursive: true, force: true });
    }
    out.push({ archive, refs: spec.refs });
  }
  return out;
}
