// The cluster's processes: each started with its output in a log file of its own, waited for
// until it answers, and stopped by its PID (SIGTERM, then SIGKILL after a grace period).

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Proc {
  name: string;
  child: ChildProcess;
  log: string;
  exited: Promise<number | null>;
}

export class Procs {
  private readonly running: Proc[] = [];
  private unexpected?: (p: Proc, code: number | null) => void;

  constructor(private readonly logDir: string) {}

  start(name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Proc {
    const log = join(this.logDir, `${name}.log`);
    const fd = openSync(log, 'a');
    const child = spawn(cmd, args, { stdio: ['ignore', fd, fd], env: { ...process.env, ...env } });
    closeSync(fd);
    const exited = new Promise<number | null>((resolve) => {
      child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : null)));
      child.once('error', () => resolve(127));
    });
    const p = { name, child, log, exited };
    this.running.push(p);
    void exited.then((code) => {
      if (this.running.includes(p)) this.unexpected?.(p, code);
    });
    return p;
  }

  /** Called when a process exits that nobody stopped. */
  onUnexpectedExit(f: (p: Proc, code: number | null) => void): void {
    this.unexpected = f;
  }

  /** The last lines of a component's log, for an error message. */
  tail(p: Proc, lines = 25): string {
    try {
      return readFileSync(p.log, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** Polls `ready` until it holds; fails at once, with the log's tail, if the process exits. */
  async waitFor(p: Proc, what: string, ready: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let exit: number | null | undefined;
    void p.exited.then((c) => (exit = c));
    for (;;) {
      if (exit !== undefined)
        throw new Error(`${p.name} exited (${exit}) before ${what}. The end of its log (${p.log}):\n${this.tail(p)}`);
      if (await ready().catch(() => false)) return;
      if (Date.now() > deadline)
        throw new Error(
          `${p.name}: no ${what} after ${timeoutMs / 1000} s. The end of its log (${p.log}):\n${this.tail(p)}`,
        );
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  async stop(name: string, graceMs = 15_000): Promise<void> {
    this.unexpected = undefined;
    const p = this.running.find((x) => x.name === name);
    if (!p) return;
    this.running.splice(this.running.indexOf(p), 1);
    if (p.child.exitCode !== null || p.child.signalCode !== null) return;
    p.child.kill('SIGTERM');
    const timer = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
    await p.exited;
    clearTimeout(timer);
  }

  names(): string[] {
    return this.running.map((p) => p.name);
  }
}
