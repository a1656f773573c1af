// What /proc says about processes: for tests that check nothing they started is left behind.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface ProcInfo {
  pid: number;
  ppid: number;
  pgid: number;
  /** Start time in clock ticks since boot: with the PID, identifies a process across PID reuse. */
  start: string;
  command: string;
}

export function readProc(pid: number): ProcInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may itself contain spaces or ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z') return undefined; // a zombie has ended; only its parent's wait is missing
    let command = '';
    try {
      command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
    } catch {
      // ended meanwhile
    }
    return { pid, ppid: Number(fields[1]), pgid: Number(fields[2]), start: fields[19], command };
  } catch {
    return undefined;
  }
}

export function allProcesses(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const info = readProc(Number(name));
    if (info) out.push(info);
  }
  return out;
}

/** Every living process below `root` (not `root` itself), plus any left in `root`'s process group. */
export function descendants(root: number): ProcInfo[] {
  const all = allProcesses();
  const byParent = new Map<number, ProcInfo[]>();
  for (const p of all) byParent.set(p.ppid, [...(byParent.get(p.ppid) ?? []), p]);
  const found = new Map<number, ProcInfo>();
  const queue = [root];
  while (queue.length) {
    for (const child of byParent.get(queue.shift()!) ?? []) {
      if (!found.has(child.pid)) {
        found.set(child.pid, child);
        queue.push(child.pid);
      }
    }
  }
  for (const p of all) if (p.pgid === root && p.pid !== root) found.set(p.pid, p);
  return [...found.values()];
}

export function alive(p: ProcInfo): boolean {
  return readProc(p.pid)?.start === p.start;
}

/** The network namespace of one process (as `net:[inode]`), or '' when it is gone. */
export function netNamespaceOf(pid: number): string {
  try {
    return readlinkSync(`/proc/${pid}/ns/net`);
  } catch {
    return '';
  }
}

/** Every network namespace some process is in now (as `net:[inode]`). */
export function netNamespaces(): Set<string> {
  const seen = new Set<string>();
  for (const pid of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      seen.add(readlinkSync(`/proc/${pid}/ns/net`));
    } catch {
      // gone, or not ours to read
    }
  }
  return seen;
}
