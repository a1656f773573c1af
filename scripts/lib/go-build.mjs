// Programs that images carry, built with this machine's Go: `go install PKG@VERSION` from the module
// proxy (delve in the golang image), or `go build` of a module folder in the clone (the demo's Go
// service). Shared by the sandbox and the real cluster, which both build an image from the same
// sandbox/images/NAME/image.json. Each binary is cached outside the clone (like Go's own build
// cache) in a folder named after what it is built from and the Go version, so a second start only
// hashes a few files; a change to a module folder's files builds it again.
//
// Static binaries (CGO_ENABLED=0), so that they run in any image, including one with no C library.

import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';

/** Where the binaries are kept: $DEVLANE_GO_CACHE, else ~/.cache/devlane-go. */
export function goCacheRoot() {
  return process.env.DEVLANE_GO_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'devlane-go');
}

/** @type {string | undefined} */
let version;

/** The machine's Go version (`go1.26.8`), or an Error saying Go is missing. */
export function goVersion() {
  if (version) return version;
  const r = spawnSync('go', ['env', 'GOVERSION'], { encoding: 'utf8' });
  if (r.status !== 0 || !r.stdout.trim())
    throw new Error('Go is not installed on this machine (needed to build the Go programs the images carry)');
  version = r.stdout.trim();
  return version;
}

/** A hash of every file under `dir` (names and contents), in a stable order. */
function hashTree(dir, h = createHash('sha256'), rel = '') {
  for (const name of readdirSync(join(dir, rel)).sort()) {
    const p = join(dir, rel, name);
    const st = lstatSync(p);
    h.update(`${rel}/${name}\0`);
    if (st.isDirectory()) hashTree(dir, h, join(rel, name));
    else if (st.isFile()) h.update(readFileSync(p));
  }
  return h;
}

/** What is being built, the cache folder for it and the `go` command that builds it there. */
function plan(source) {
  const go = goVersion();
  const h = createHash('sha256').update(go).update('\0static-v1\0');
  if (/^[a-z0-9.-]+\.[a-z]+\/.+@v[^/]+$/.test(source)) {
    const [pkg, ver] = source.split('@');
    const name = basename(pkg);
    h.update(source);
    return {
      name,
      dir: join(goCacheRoot(), `${name}-${ver}-${h.digest('hex').slice(0, 12)}`),
      args: () => ['install', '-trimpath', '-ldflags=-s -w', source],
      cwd: goCacheRoot(),
      env: (out) => ({ GOBIN: out }),
    };
  }
  if (!existsSync(join(source, 'go.mod')))
    throw new Error(`${source} is neither a Go module folder (no go.mod) nor PKG@VERSION`);
  const name = basename(source);
  hashTree(source, h);
  return {
    name,
    dir: join(goCacheRoot(), `${name}-src-${h.digest('hex').slice(0, 12)}`),
    args: (out) => ['build', '-trimpath', '-ldflags=-s -w', '-o', join(out, name), '.'],
    cwd: source,
    env: () => ({}),
  };
}

/** @type {Map<string, Promise<string>>} */
const building = new Map();

/**
 * The path of the binary built from `source`: `PKG@VERSION` (installed from the module proxy) or
 * the absolute path of a module folder whose main package is built. Builds it when the cache has
 * not got it (concurrent callers share one build; an interrupted build leaves nothing behind).
 * @param {string} source
 * @param {(message: string) => void} [say]
 * @returns {Promise<string>}
 */
export function goBinary(source, say = () => {}) {
  let p;
  try {
    p = plan(source);
  } catch (e) {
    return Promise.reject(e);
  }
  const bin = join(p.dir, p.name);
  if (existsSync(bin)) return Promise.resolve(bin);
  const running = building.get(bin);
  if (running) return running;
  const done = (async () => {
    mkdirSync(goCacheRoot(), { recursive: true });
    const tmp = `${p.dir}.partial-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    say(`building ${p.name} from ${source} with ${goVersion()} (cached in ${p.dir})`);
    const started = Date.now();
    const out = await new Promise((resolve, reject) => {
      const child = spawn('go', p.args(tmp), {
        cwd: p.cwd,
        env: { ...process.env, CGO_ENABLED: '0', ...p.env(tmp) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let text = '';
      child.stdout.on('data', (d) => (text += d));
      child.stderr.on('data', (d) => (text += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, text }));
    });
    if (out.code !== 0 || !existsSync(join(tmp, p.name))) {
      rmSync(tmp, { recursive: true, force: true });
      throw new Error(`go ${p.args(tmp)[0]} of ${source} failed (exit ${out.code}):\n${out.text.trim()}`);
    }
    // Another process may have finished the same build meanwhile: its result is as good as ours.
    if (existsSync(bin)) rmSync(tmp, { recursive: true, force: true });
    else {
      rmSync(p.dir, { recursive: true, force: true });
      renameSync(tmp, p.dir);
    }
    say(`built ${p.name} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    return bin;
  })().finally(() => building.delete(bin));
  building.set(bin, done);
  return done;
}
