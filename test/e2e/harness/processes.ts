// Child processes the harness starts, each in its own process group, and ended by PID: the
// group first, then every descendant seen in /proc (some, like VS Code's agent host, start
// their own group), and finally a check that none of them is still alive.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { alive, descendants, readProc } from '../../helpers/procs';

export { descendants };

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Ends `pid`, its process group and every descendant: SIGTERM, then SIGKILL after `graceMs`.
 * Throws when something survives SIGKILL, naming it.
 */
export async function endProcessTree(pid: number, graceMs = 5_000): Promise<void> {
  const self = readProc(pid);
  const tree = [...(self ? [self] : []), ...descendants(pid)];
  signal(-pid, 'SIGTERM');
  for (const p of tree) signal(p.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (tree.some(alive) && Date.now() < deadline) await sleep(100);
  // Whatever the survivors started meanwhile is ended with them.
  const late = tree.filter(alive).flatMap((p) => [p, ...descendants(p.pid)]);
  signal(-pid, 'SIGKILL');
  for (const p of late) signal(p.pid, 'SIGKILL');
  const killDeadline = Date.now() + 3_000;
  while (late.some(alive) && Date.now() < killDeadline) await sleep(50);
  const left = late.filter(alive);
  if (left.length)
    throw new Error(`still running after SIGKILL: ${left.map((p) => `${p.pid} ${p.command}`).join('; ')}`);
}

export interface Spawned {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Resolves with the exit code (or 1 after a signal) when the direct child exits. */
  readonly exited: Promise<number>;
  /** Ends the whole tree by PID and verifies that nothing of it remains. Safe to call twice. */
  stop(): Promise<void>;
}

const running = new Set<Spawned>();

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** stdout and stderr go to this file (appended). */
  logFile: string;
}

/** Starts a program in its own process group, with its output in a log file. */
export function spawnGroup(name: string, command: string, args: string[], options: SpawnOptions): Spawned {
  const log = openSync(options.logFile, 'a');
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    detached: true,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  if (child.pid === undefined) throw new Error(`${name}: could not start ${command}`);
  const pid = child.pid;
  const exited = new Promise<number>((resolve) => child.once('exit', (code, sig) => resolve(code ?? (sig ? 1 : 0))));
  let stopping: Promise<void> | undefined;
  const spawned: Spawned = {
    name,
    pid,
    child,
    exited,
    stop: () =>
      (stopping ??= endProcessTree(pid).finally(() => {
        running.delete(spawned);
      })),
  };
  running.add(spawned);
  return spawned;
}

/** Everything spawnGroup started and nobody stopped yet: stopped in reverse order of start. */
export async function stopAll(): Promise<void> {
  const errors: string[] = [];
  for (const s of [...running].reverse()) {
    try {
      await s.stop();
    } catch (err) {
      errors.push(`${s.name}: ${(err as Error).message}`);
    }
  }
  if (errors.length) throw new Error(errors.join('\n'));
}

/** Processes below this one that are still alive (for a test's final check). */
export function leftovers(): string[] {
  return descendants(process.pid)
    .filter((p) => p.pid !== process.pid)
    .map((p) => `${p.pid} ${p.command}`);
}
