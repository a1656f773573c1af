// Stopping the cluster leaves nothing behind: every pod sandbox is removed through containerd's
// CRI (so the CNI plugins release each pod's veth, address and network namespace), every process
// is stopped by its PID, every mount under the state dir is unmounted, the kubelet's cgroups,
// kube-proxy's nftables tables, the bridge and its route are removed, and the state dir is
// deleted. `leftovers` lists whatever of that still exists; the lifecycle test asserts it is empty.

import { execFileSync, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  rmdirSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { NET } from './config';
import { leftoverNetwork, podVeths, removeKubeProxyTables, teardownNetwork } from './network';
import type { Procs } from './procs';

/** One cluster per machine: the node's ports, bridge, cgroups and kube-proxy's tables are machine-wide. */
const LOCK = '/run/devlane-cluster.lock';
const CGROUP_ROOT = '/sys/fs/cgroup';
const KUBELET_CGROUPS = ['kubepods', 'kubepods.slice'];

export interface Lock {
  release(): void;
  onRelease(f: () => void): void;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

export function acquireLock(state: string): Lock {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(LOCK, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n${state}\n`);
      closeSync(fd);
      const hooks: (() => void)[] = [];
      return {
        onRelease: (f) => hooks.push(f),
        release: () => {
          for (const h of hooks.reverse()) h();
          rmSync(LOCK, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const [pid] = readFileSync(LOCK, 'utf8').split('\n');
      if (alive(Number(pid))) {
        console.error(
          `cluster: another cluster (PID ${pid}) is running on this machine; one node's ports, bridge and cgroups are machine-wide.\n` +
            `Nothing was started. Stop it (kill ${pid}) or use its kubeconfig.`,
        );
        process.exit(1);
      }
      rmSync(LOCK, { force: true });
    }
  }
  throw new Error(`could not take ${LOCK}`);
}

function mountsUnder(dir: string): string[] {
  const lines = readFileSync('/proc/self/mountinfo', 'utf8').split('\n');
  // Field 5 is the mount point, with spaces and the like escaped as octal.
  const points = lines
    .map((l) => l.split(' ')[4])
    .filter(Boolean)
    .map((p) => p.replace(/\\(\d{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8))));
  return points.filter((p) => p === dir || p.startsWith(`${dir}/`)).sort((a, b) => b.length - a.length);
}

/** PIDs whose command line names the state dir (containerd's shims, a component a killed run left). */
function processesUsing(state: string): { pid: number; cmd: string }[] {
  const out: { pid: number; cmd: string }[] = [];
  for (const d of readdirSync('/proc')) {
    const pid = Number(d);
    if (!pid || pid === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').join(' ').trim();
      if (cmd.includes(state)) out.push({ pid, cmd });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

function kubeletCgroups(): string[] {
  if (!existsSync(CGROUP_ROOT)) return [];
  const found: string[] = [];
  const controllers = readdirSync(CGROUP_ROOT)
    .map((c) => join(CGROUP_ROOT, c))
    .filter((p) => {
      try {
        return statSync(p).isDirectory();
      } catch {
        return false;
      }
    });
  for (const dir of [CGROUP_ROOT, ...controllers])
    for (const name of KUBELET_CGROUPS) if (existsSync(join(dir, name))) found.push(join(dir, name));
  return found;
}

function removeCgroupTree(dir: string): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) removeCgroupTree(join(dir, e.name));
  try {
    rmdirSync(dir);
  } catch {
    // a process still in it; reported by leftovers()
  }
}

/** Network namespaces the CNI plugins made for our pods (an address in the pod range inside). */
function podNetns(): string[] {
  if (!existsSync('/run/netns')) return [];
  const prefix = NET.podCidr.split('.').slice(0, 3).join('.') + '.';
  return readdirSync('/run/netns').filter((n) => {
    const r = spawnSync('ip', ['-n', n, '-o', '-4', 'addr', 'show'], { encoding: 'utf8' });
    return (r.stdout ?? '').includes(` ${prefix}`);
  });
}

export function leftovers(state: string): string[] {
  const found: string[] = [];
  for (const p of processesUsing(state)) found.push(`process ${p.pid} (${p.cmd.slice(0, 120)})`);
  for (const m of mountsUnder(state)) found.push(`mount ${m}`);
  for (const n of podNetns()) found.push(`network namespace ${n}`);
  for (const v of podVeths()) found.push(`veth ${v}`);
  found.push(...leftoverNetwork());
  for (const c of kubeletCgroups()) found.push(`cgroup ${c}`);
  if (existsSync(state)) found.push(`state dir ${state}`);
  return found;
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  return !alive(pid);
}

/** Stops what runs (in order) and removes everything the cluster made. Safe to call after a killed run. */
export async function cleanUp(state: string, running: { procs: Procs; crictl?: string } | undefined): Promise<void> {
  const step = (what: string, f: () => void) => {
    try {
      f();
    } catch (err) {
      console.error(`cluster: while stopping (${what}): ${(err as Error).message}`);
    }
  };
  // The kubelet first, so that nothing restarts the pods removed next.
  if (running) await running.procs.stop('kubelet');
  const sock = join(state, 'containerd/containerd.sock');
  if (running?.crictl && running.procs.names().includes('containerd') && existsSync(sock)) {
    step('removing pods', () => {
      execFileSync(
        running.crictl!,
        ['--runtime-endpoint', `unix://${sock}`, '--timeout', '60s', 'rmp', '--all', '--force'],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
    });
  }
  if (running) for (const name of running.procs.names().reverse()) await running.procs.stop(name);
  // What a killed run left running (containerd's shims and their containers' processes are in the
  // shims' own trees): end them by PID.
  for (const p of processesUsing(state)) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    await waitGone(p.pid, 5000);
  }
  step('kube-proxy tables', removeKubeProxyTables);
  for (const n of podNetns()) step(`netns ${n}`, () => execFileSync('ip', ['netns', 'del', n], { stdio: 'ignore' }));
  for (const m of mountsUnder(state)) {
    step(`unmount ${m}`, () => {
      if (spawnSync('umount', [m], { stdio: 'ignore' }).status !== 0)
        execFileSync('umount', ['-l', m], { stdio: 'ignore' });
    });
  }
  for (const c of kubeletCgroups()) step(`cgroup ${c}`, () => removeCgroupTree(c));
  step('network', () => teardownNetwork(state));
  step('state dir', () => rmSync(state, { recursive: true, force: true }));
}
