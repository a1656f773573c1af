// Running a command inside a running container's namespaces (mount, network, PID), with the
// container's environment and working directory: what the runtime does for exec and exec probes.

import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { posix } from 'node:path';

/**
 * nsenter sets the working directory inside the container (--wdns) and takes the environment from
 * its own, so nothing of the container's is needed to start the command: an image with nothing but
 * its binary (a distroless one) can be exec'd into too, as with a real runtime.
 */
export function execArgs(containerPid: number, workingDir: string, argv: string[]): string[] {
  return ['-t', String(containerPid), '--mount', '--net', '--pid', '--ipc', '--uts', `--wdns=${workingDir}`, ...argv];
}

/**
 * runc's error when the command is not in the container (searched on the container's PATH, in the
 * container's files), or undefined when it is there.
 */
export function missingCommand(
  containerPid: number,
  env: Record<string, string>,
  workingDir: string,
  command: string,
): string | undefined {
  const root = `/proc/${containerPid}/root`;
  const runnable = (p: string) => {
    try {
      accessSync(root + p, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (command.includes('/')) {
    if (runnable(posix.resolve(workingDir, command))) return undefined;
    return `OCI runtime exec failed: exec failed: unable to start container process: exec: "${command}": stat ${command}: no such file or directory: unknown`;
  }
  const path = (env.PATH ?? '').split(':').filter(Boolean);
  if (path.some((d) => runnable(posix.resolve(workingDir, d, command)))) return undefined;
  return `OCI runtime exec failed: exec failed: unable to start container process: exec: "${command}": executable file not found in $PATH: unknown`;
}

export function spawnExec(
  containerPid: number,
  env: Record<string, string>,
  workingDir: string,
  argv: string[],
  withStdin: boolean,
): ChildProcess {
  // Its own process group, so killProcessGroup() ends nsenter and the command it forked together.
  return spawn('/usr/bin/nsenter', execArgs(containerPid, workingDir, argv), {
    stdio: [withStdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    env,
    detached: true,
  });
}

export function killProcessGroup(child: ChildProcess): void {
  if (!child.pid) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Runs to completion; code -2 means it timed out (and was killed). Output is stdout and stderr together, capped. */
export function execCapture(
  containerPid: number,
  env: Record<string, string>,
  workingDir: string,
  argv: string[],
  timeoutMs: number,
): Promise<{ code: number; output: string }> {
  const missing = argv.length ? missingCommand(containerPid, env, workingDir, argv[0]) : undefined;
  if (missing) return Promise.resolve({ code: 127, output: missing });
  return new Promise((resolve) => {
    const child = spawnExec(containerPid, env, workingDir, argv, false);
    let output = '';
    const add = (d: Buffer) => {
      if (output.length < 10 * 1024) output += d.toString('utf8');
    };
    child.stdout!.on('data', add);
    child.stderr!.on('data', add);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killProcessGroup(child);
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: -1, output: e.message });
    });
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      resolve({
        code: timedOut ? -2 : (code ?? 128 + (sig === 'SIGKILL' ? 9 : 15)),
        output,
      });
    });
  });
}
