// The host side of a pod's infra process (helpers/infra.ts): starts it in a new network and PID
// namespace, feeds it the routes (Service ports, other pods' ports), and dials into the pod through
// its unix socket.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as net from 'node:net';
import { dirname, join } from 'node:path';
import { readInfo } from './procs';
import type { Route } from './routes';

export interface BindError {
  ip: string;
  port: number;
  code: string;
}

/** What the infra reports: how routes reach it (see helpers/infra.ts), and what it could not set up. */
export interface InfraState {
  mode: 'redirect' | 'listen';
  /** Why it fell back to `listen` (nft missing or refused). */
  modeReason?: string;
  /** The last nft update failed: routes added since do not work. */
  error?: string;
  /** Ports the infra holds on 127.0.0.1 inside the pod (redirect mode). */
  localPorts: number[];
  bindErrors: BindError[];
}

export interface Infra {
  /** Host PID of the process inside the namespace: /proc/<pid>/ns/net is the pod's network namespace. */
  pid: number;
  dialPath: string;
  setRoutes(routes: Route[]): void;
  state(): InfraState;
  onExit(cb: () => void): void;
  stop(): Promise<void>;
}

/** Where the build puts helpers/infra.ts: out/sandbox/node/helpers/infra.js, found from wherever this bundle lives. */
export function helperPath(name: string): string {
  const env = process.env.DEVLANE_SANDBOX_HELPERS;
  if (env && existsSync(join(env, name))) return join(env, name);
  let dir = __dirname;
  for (let i = 0; i < 8; i++) {
    for (const cand of [join(dir, 'node/helpers', name), join(dir, 'out/sandbox/node/helpers', name)])
      if (existsSync(cand)) return cand;
    dir = dirname(dir);
  }
  throw new Error(
    `the node agent's helper ${name} was not found near ${__dirname}; build it with \`node scripts/build.mjs --only sandbox\``,
  );
}

export interface InfraOptions {
  dialPath: string;
  hostname: string;
  podIP: string;
  /** Every pod and Service address of the node (guarded inside the pod, see helpers/infra.ts). */
  nodeCidr: string;
  routes: Route[];
  onState: (s: InfraState) => void;
}

/**
 * Starts the infra and resolves once its dial socket answers and the first routes are in place.
 * bwrap binds the whole host (`--bind / /`, recursively), so a mount that goes away while it binds
 * (another container runtime on this machine unmounting a container's root, say) fails the
 * setup with "Can't …: No such file or directory": that is tried again, a few times.
 */
export async function startInfra(o: InfraOptions): Promise<Infra> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startInfraOnce(o);
    } catch (err) {
      if (attempt >= 3 || !isVanishedMount((err as Error).message)) throw err;
      await new Promise((r) => setTimeout(r, 200 * attempt));
    }
  }
}

/** bwrap's setup error for a path that existed when it listed the mounts and was gone when it bound it. */
export const isVanishedMount = (message: string): boolean =>
  /bwrap failed: bwrap: Can't [^\n]*: No such file or directory/.test(message);

async function startInfraOnce(o: InfraOptions): Promise<Infra> {
  const script = helperPath('infra.js');
  const args = [
    '--bind',
    '/',
    '/',
    '--dev',
    '/dev',
    '--proc',
    '/proc',
    '--unshare-net',
    '--unshare-pid',
    '--unshare-uts',
    '--hostname',
    o.hostname,
    '--die-with-parent',
    '--info-fd',
    '3',
    process.execPath,
    script,
    o.dialPath,
    o.podIP,
    o.nodeCidr,
  ];
  const child: ChildProcess = spawn('/usr/bin/bwrap', args, { stdio: ['pipe', 'pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  let state: InfraState | undefined;
  let out = '';
  child.stdout!.on('data', (d) => {
    out += d;
    let nl: number;
    while ((nl = out.indexOf('\n')) >= 0) {
      const line = out.slice(0, nl);
      out = out.slice(nl + 1);
      try {
        state = JSON.parse(line) as InfraState;
      } catch {
        continue; // not a report line
      }
      o.onState(state);
    }
  });
  child.stdin!.on('error', () => {});
  let sent = '';
  const setRoutes = (routes: Route[]) => {
    const msg = JSON.stringify({ routes }) + '\n';
    if (msg === sent || !child.stdin!.writable) return;
    sent = msg;
    child.stdin!.write(msg);
  };
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const pid = await readInfo(
    child,
    3,
    () => `the pod's network namespace could not be created: bwrap failed: ${stderr.trim()}`,
  );
  setRoutes(o.routes);
  // Wait for the dial socket and the first routes, so that neither the first connect() nor the
  // first container races the helper's start.
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`the pod's infra process exited at start: ${stderr.trim()}`);
    if (state && existsSync(o.dialPath)) break;
    if (i > 400) throw new Error(`the pod's infra process did not open ${o.dialPath} and set up its routes within 20s`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    pid,
    dialPath: o.dialPath,
    setRoutes,
    state: () => state!,
    onExit(cb) {
      void exited.then(cb);
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
        child.kill('SIGKILL');
      }
      await exited;
    },
  };
}

/** A TCP connection to host:port inside the pod, through the infra's dial socket. */
export function dialPod(dialPath: string, host: string, port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(dialPath);
    let buf = Buffer.alloc(0);
    const fail = (code: string, message: string) => {
      s.destroy();
      reject(Object.assign(new Error(message), { code }));
    };
    s.once('error', (e) => fail('EHOSTUNREACH', `the pod's network namespace is gone (${e.message})`));
    s.once('connect', () => s.write(`${host} ${port}\n`));
    // Read the answer line in paused mode, then hand the socket over with its flowing state reset,
    // so whoever consumes it (pipe, http) starts it and no byte is lost.
    const onReadable = () => {
      let chunk: Buffer | null;
      while ((chunk = s.read() as Buffer | null) !== null) {
        buf = Buffer.concat([buf, chunk]);
        const nl = buf.indexOf(10);
        if (nl < 0) continue;
        s.off('readable', onReadable);
        const line = buf.subarray(0, nl).toString('utf8');
        const rest = buf.subarray(nl + 1);
        if (line === 'OK') {
          s.removeAllListeners('error');
          s.removeAllListeners('end');
          // The consumer adds its own handlers; an unhandled socket error must never end the agent.
          s.on('error', () => {});
          if (rest.length) s.unshift(rest);
          resolve(s);
        } else {
          const m = /^ERR (\S+) (.*)$/.exec(line);
          const code = m?.[1] ?? 'ECONNREFUSED';
          const why =
            code === 'ECONNREFUSED'
              ? 'connect: connection refused'
              : code === 'ETIMEDOUT'
                ? 'i/o timeout'
                : (m?.[2] ?? line);
          fail(code, `dial tcp ${host}:${port}: ${why}`);
        }
        return;
      }
    };
    s.on('readable', onReadable);
    s.once('end', () => {
      if (buf.indexOf(10) < 0) fail('ECONNREFUSED', `dial tcp ${host}:${port}: connection closed by the pod's infra`);
    });
  });
}
