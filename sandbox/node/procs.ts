// Small process helpers: bwrap's --info-fd report, and signalling by PID (never by name).

import type { ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';

/** Reads bwrap's --info-fd JSON and returns the sandboxed child's host PID. */
export function readInfo(child: ChildProcess, fd: number, describeFailure: () => string): Promise<number> {
  return new Promise((resolve, reject) => {
    const stream = child.stdio[fd] as Readable;
    let text = '';
    let done = false;
    stream.on('data', (d) => {
      text += d;
      try {
        const pid = (JSON.parse(text) as { 'child-pid': number })['child-pid'];
        done = true;
        resolve(pid);
      } catch {
        // not complete yet
      }
    });
    stream.on('error', () => {});
    child.once('exit', () => {
      // Give stderr a moment to arrive so the message says why.
      if (!done) setTimeout(() => reject(new Error(describeFailure())), 20);
    });
  });
}

export function signal(pid: number | undefined, sig: NodeJS.Signals): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}
