// Builds the upstream programs of the real cluster from source with the machine's Go, each from
// its small module under cluster/build/. The binaries are cached outside the clone (like Go's own
// build cache), in a folder named after a hash of the module's files and the Go version, so a
// fresh clone on a machine that has built once only checks that the binaries are there.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The one place the Kubernetes release is pinned (cluster/build/kubernetes/go.mod must match). */
export const KUBERNETES_VERSION = 'v1.37.2';

/**
 * The Gateway API data plane (cluster/build/traefik/go.mod must match). Traefik because its
 * Kubernetes Gateway provider is pure Go and builds from the module proxy, where every Envoy-based
 * implementation needs Envoy itself; 3.6 because 3.7 depends on modules the proxy refuses here.
 */
export const TRAEFIK_VERSION = 'v3.6.12';

interface Module {
  dir: string;
  /** Package paths to build; each gives a binary named after its last element. */
  packages: string[];
  /** Binary names, in the order of `packages` (`.` builds the module's own main). */
  binaries: string[];
  ldflags?: string;
  cgo?: boolean;
}

const versionFlags = (() => {
  const [major, minor] = KUBERNETES_VERSION.slice(1).split('.');
  const x = (k: string, v: string) => `-X k8s.io/component-base/version.${k}=${v}`;
  return [
    x('gitVersion', KUBERNETES_VERSION),
    x('gitMajor', major),
    x('gitMinor', minor),
    x('gitTreeState', 'clean'),
    `-X k8s.io/client-go/pkg/version.gitVersion=${KUBERNETES_VERSION}`,
  ].join(' ');
})();

const MODULES: Record<string, Module> = {
  kubernetes: {
    dir: 'kubernetes',
    packages: ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubelet', 'kube-proxy'].map(
      (c) => `k8s.io/kubernetes/cmd/${c}`,
    ),
    binaries: ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubelet', 'kube-proxy'],
    ldflags: versionFlags,
  },
  etcd: { dir: 'etcd', packages: ['go.etcd.io/etcd/server/v3'], binaries: ['etcd'] },
  coredns: { dir: 'coredns', packages: ['.'], binaries: ['coredns'] },
  crictl: { dir: 'crictl', packages: ['sigs.k8s.io/cri-tools/cmd/crictl'], binaries: ['crictl'] },
  pause: { dir: 'pause', packages: ['.'], binaries: ['pause'], cgo: false },
  traefik: {
    dir: 'traefik',
    packages: ['github.com/traefik/traefik/v3/cmd/traefik'],
    binaries: ['traefik'],
    ldflags: `-X github.com/traefik/traefik/v3/pkg/version.Version=${TRAEFIK_VERSION}`,
  },
};

export type Binaries = Record<string, string>;

const moduleRoot = (repo: string, m: Module) => join(repo, 'cluster/build', m.dir);

function goVersion(): string {
  const r = spawnSync('go', ['env', 'GOVERSION'], { encoding: 'utf8' });
  if (r.status !== 0) {
    throw new Error(
      'Go is not installed (the real cluster is built from upstream source with it). Nothing was started. ' +
        'Install Go 1.26 or newer and try again.',
    );
  }
  return r.stdout.trim();
}

function cacheDir(repo: string, name: string, m: Module, go: string): string {
  const h = createHash('sha256');
  h.update(go)
    .update(m.ldflags ?? '')
    .update(m.packages.join(' '));
  const dir = moduleRoot(repo, m);
  for (const f of readdirSync(dir).sort()) h.update(f).update(readFileSync(join(dir, f)));
  const base =
    process.env.DEVLANE_CLUSTER_CACHE ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'devlane-cluster');
  return join(base, `${name}-${h.digest('hex').slice(0, 16)}`);
}

/** Builds what is missing and returns the path of every binary. */
export function buildBinaries(repo: string, say: (m: string) => void): Binaries {
  const go = goVersion();
  const out: Binaries = {};
  for (const [name, m] of Object.entries(MODULES)) {
    const dir = cacheDir(repo, name, m, go);
    const paths = m.binaries.map((b) => join(dir, b));
    if (!paths.every((p) => existsSync(p))) {
      say(`building ${m.binaries.join(', ')} from source (${name}; cached in ${dir})`);
      const started = Date.now();
      const tmp = `${dir}.partial-${process.pid}`;
      rmSync(tmp, { recursive: true, force: true });
      mkdirSync(tmp, { recursive: true });
      const args = [
        'build',
        '-trimpath',
        '-ldflags',
        `-s -w ${m.ldflags ?? ''}`.trim(),
        '-o',
        `${tmp}/`,
        ...m.packages,
      ];
      const r = spawnSync('go', args, {
        cwd: moduleRoot(repo, m),
        stdio: ['ignore', 'inherit', 'inherit'],
        env: { ...process.env, ...(m.cgo === false ? { CGO_ENABLED: '0' } : {}) },
      });
      if (r.status !== 0) {
        rmSync(tmp, { recursive: true, force: true });
        throw new Error(`go build of ${name} failed (exit ${r.status}); its output is above. Nothing was started.`);
      }
      // `go build -o dir/ .` names the binary after the module's last path element.
      for (const f of readdirSync(tmp))
        if (!m.binaries.includes(f) && m.binaries.length === 1) renameSync(join(tmp, f), join(tmp, m.binaries[0]));
      rmSync(dir, { recursive: true, force: true });
      renameSync(tmp, dir);
      say(`built ${name} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    }
    m.binaries.forEach((b, i) => (out[b] = paths[i]));
  }
  return out;
}
