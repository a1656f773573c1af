// One container instance as a process: joins the pod's network namespace (nsenter), gets its own
// PID, IPC and UTS namespaces and mount view (bwrap), and runs as PID 1 there, as a container's
// entrypoint does — so, as in Kubernetes, SIGTERM reaches only a process that handles it, and
// SIGKILL of PID 1 ends everything in the container.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, constants, openSync, readlinkSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { LogWriter } from './logs';
import { readInfo, signal } from './procs';

export interface Exit {
  exitCode: number;
  signal?: number;
  /** Set when the process never started (bwrap could not set up or exec): the runtime's StartError. */
  startError?: string;
  finishedAt: Date;
}

export interface ContainerProcess {
  /** Host PID of the container's PID 1. */
  pid: number;
  startedAt: Date;
  exited: Promise<Exit>;
  /** Sends a signal to the container's PID 1. */
  kill(sig: NodeJS.Signals): void;
  stdin?: NodeJS.WritableStream;
}

export interface ProcessSpec {
  infraPid: number;
  fsArgs: string[];
  workingDir: string;
  hostname: string;
  argv: string[];
  env: Record<string, string>;
  log: LogWriter;
  stdin: boolean;
  /** Where to make the stdout/stderr FIFOs (the container's directory on the host). */
  fifoDir: string;
}

/**
 * A FIFO for one output stream. Node's 'pipe' stdio is a socketpair, and opening /dev/stdout
 * (/proc/self/fd/1) of a socket fails with ENXIO — which breaks images that log to /dev/stdout,
 * such as nginx's. A real runtime gives containers FIFOs; so do we.
 */
function fifo(path: string): { writeFd: number; reader: net.Socket } {
  rmSync(path, { force: true });
  const r = spawnSync('/usr/bin/mkfifo', ['-m', '600', path]);
  if (r.status !== 0) throw new Error(`mkfifo ${path} failed: ${r.stderr?.toString()}`);
  const readFd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const writeFd = openSync(path, constants.O_WRONLY);
  return { writeFd, reader: new net.Socket({ fd: readFd, readable: true, writable: false }) };
}

const SIGNALS: Record<string, number> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGKILL: 9,
  SIGTERM: 15,
  SIGABRT: 6,
  SIGSEGV: 11,
  SIGPIPE: 13,
};

export async function startProcess(s: ProcessSpec): Promise<ContainerProcess> {
  const args = [
    `--net=/proc/${s.infraPid}/ns/net`,
    '/usr/bin/bwrap',
    ...s.fsArgs,
    '--chdir',
    s.workingDir,
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--hostname',
    s.hostname,
    '--as-pid-1',
    '--die-with-parent',
    '--info-fd',
    '3',
    '--',
    ...s.argv,
  ];
  const out = fifo(`${s.fifoDir}/stdout.fifo`);
  const err = fifo(`${s.fifoDir}/stderr.fifo`);
  const child: ChildProcess = spawn('/usr/bin/nsenter', args, {
    stdio: [s.stdin ? 'pipe' : 'ignore', out.writeFd, err.writeFd, 'pipe'],
    env: s.env,
  });
  closeSync(out.writeFd);
  closeSync(err.writeFd);
  let setupErr = '';
  out.reader.on('data', (d: Buffer) => s.log.write('stdout', d));
  err.reader.on('data', (d: Buffer) => {
    // bwrap's own failures (before the entrypoint runs) are the runtime's, not the container's output.
    const t = d.toString('utf8');
    if (/^(bwrap|nsenter): /.test(t)) {
      setupErr += t;
      return;
    }
    s.log.write('stderr', d);
  });
  const drained = (sock: net.Socket) =>
    new Promise<void>((r) => (sock.once('close', () => r()), sock.once('error', () => r())));
  const streamsDone = Promise.all([drained(out.reader), drained(err.reader)]);
  const closed = new Promise<{ code: number | null; sig: NodeJS.Signals | null }>((r) =>
    child.once('exit', (code, sig) => {
      // Output still in the FIFOs is read before the exit is reported; a process that escaped
      // PID 1's death cannot exist (the PID namespace dies with it), so this ends promptly.
      const cap = setTimeout(() => (out.reader.destroy(), err.reader.destroy()), 2000);
      void streamsDone.then(() => {
        clearTimeout(cap);
        r({ code, sig });
      });
    }),
  );
  const exited = closed.then(({ code, sig }): Exit => {
    s.log.close();
    const finishedAt = new Date();
    if (setupErr) {
      const m = /execvp (\S+): (.*)/.exec(setupErr);
      const why = m
        ? `exec: "${m[1]}": ${m[2].includes('No such file') ? 'executable file not found in $PATH' : m[2]}`
        : setupErr.trim();
      return {
        exitCode: 128,
        startError: `failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: ${why}: unknown`,
        finishedAt,
      };
    }
    if (sig) return { exitCode: 128 + (SIGNALS[sig] ?? 0), signal: SIGNALS[sig], finishedAt };
    // bwrap reports a child killed by signal N as 128+N, as a shell would.
    return { exitCode: code ?? 0, finishedAt };
  });
  let pid: number;
  try {
    pid = await readInfo(child, 3, () => setupErr.trim() || 'the container process exited during setup');
    // bwrap reports the PID before it has built the mount view and exec'd the entrypoint; exec and
    // probes must not enter a half-made container, so wait until PID 1 is the entrypoint.
    for (let i = 0; i < 1000 && child.exitCode === null; i++) {
      let exe = '';
      try {
        exe = readlinkSync(`/proc/${pid}/exe`);
      } catch {
        break;
      }
      if (!exe.endsWith('/bwrap')) break;
      await new Promise((r) => setTimeout(r, 5));
    }
  } catch (e) {
    // bwrap failed before the entrypoint: report it as the runtime's start error.
    if (!setupErr) setupErr = (e as Error).message;
    return { pid: 0, startedAt: new Date(), exited, kill: () => {} };
  }
  return {
    pid,
    startedAt: new Date(),
    exited,
    kill(sig) {
      if (!signal(pid, sig) && sig === 'SIGKILL') child.kill('SIGKILL');
    },
    ...(child.stdin ? { stdin: child.stdin } : {}),
  };
}
