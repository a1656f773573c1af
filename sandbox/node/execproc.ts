// Running a command inside a running container's namespaces (mount, network, PID), with the
// container's environment and working directory: what the runtime does for exec and exec probes.

import { spawn, type ChildProcess } from 'node:child_process';

export function execArgs(
  containerPid: number,
  env: Record<string, string>,
  workingDir: string,
  argv: string[],
): string[] {
  return [
    '-t',
    String(containerPid),
    '--mount',
    '--net',
    '--pid',
    '--ipc',
    '--uts',
    '/usr/bin/env',
    '-i',
    '-C',
    workingDir,
    ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
    ...argv,
  ];
}

export function spawnExec(
  containerPid: number,
  env: Record<string, string>,
  workingDir: string,
  argv: string[],
  withStdin: boolean,
): ChildProcess {
  // Its own process group, so killProcessGroup() ends nsenter and the command it forked together.
  return spawn('/usr/bin/nsenter', execArgs(containerPid, env, workingDir, argv), {
    stdio: [withStdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
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
        output: output.replace(/^env: /, ''),
      });
    });
  });
}
