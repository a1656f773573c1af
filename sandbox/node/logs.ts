// Container logs in the CRI format the kubelet reads (`<RFC3339Nano> <stream> <P|F> <text>`), one
// file per container instance, and the parsing/filtering `GET .../log` needs.

import { closeSync, createReadStream, existsSync, openSync, readFileSync, writeSync } from 'node:fs';

/** RFC3339 with nanoseconds, as containerd writes it. */
export function nanoTime(d = new Date(), extraNanos = 0): string {
  const iso = d.toISOString(); // ...T12:34:56.789Z
  const ns = String(extraNanos).padStart(6, '0').slice(0, 6);
  return iso.replace(/\.(\d{3})Z$/, (_m, ms: string) => `.${ms}${ns}Z`);
}

let counter = 0;
function now(): string {
  // Distinct, increasing sub-millisecond digits so lines of one millisecond keep their order.
  counter = (counter + 1) % 1_000_000;
  return nanoTime(new Date(), counter);
}

/** Appends one stream's output to a CRI log file, splitting at newlines; a partial line is flushed as `P` after a pause. */
export class LogWriter {
  private readonly fd: number;
  private readonly partial: Record<'stdout' | 'stderr', string> = { stdout: '', stderr: '' };
  private timers: Record<string, NodeJS.Timeout | undefined> = {};
  private closed = false;
  private readonly listeners = new Set<() => void>();

  constructor(readonly path: string) {
    this.fd = openSync(path, 'a');
  }

  write(stream: 'stdout' | 'stderr', chunk: Buffer | string): void {
    if (this.closed) return;
    let text = this.partial[stream] + chunk.toString('utf8');
    let nl: number;
    let out = '';
    while ((nl = text.indexOf('\n')) >= 0) {
      out += `${now()} ${stream} F ${text.slice(0, nl)}\n`;
      text = text.slice(nl + 1);
    }
    this.partial[stream] = text;
    clearTimeout(this.timers[stream]);
    if (text) this.timers[stream] = setTimeout(() => this.flushPartial(stream), 100);
    if (out) this.append(out);
  }

  private flushPartial(stream: 'stdout' | 'stderr'): void {
    const text = this.partial[stream];
    if (!text || this.closed) return;
    this.partial[stream] = '';
    this.append(`${now()} ${stream} P ${text}\n`);
  }

  private append(s: string): void {
    writeSync(this.fd, s);
    for (const l of this.listeners) l();
  }

  onAppend(l: () => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  close(): void {
    if (this.closed) return;
    for (const s of ['stdout', 'stderr'] as const) {
      clearTimeout(this.timers[s]);
      const text = this.partial[s];
      if (text) writeSync(this.fd, `${now()} ${s} F ${text}\n`);
      this.partial[s] = '';
    }
    this.closed = true;
    closeSync(this.fd);
    for (const l of this.listeners) l();
  }
}

export interface LogLine {
  time: string;
  ms: number;
  stream: string;
  partial: boolean;
  text: string;
}

export function parseLine(line: string): LogLine | undefined {
  const a = line.indexOf(' ');
  const b = line.indexOf(' ', a + 1);
  const c = line.indexOf(' ', b + 1);
  if (a < 0 || b < 0 || c < 0) return undefined;
  const time = line.slice(0, a);
  return {
    time,
    ms: Date.parse(time),
    stream: line.slice(a + 1, b),
    partial: line.slice(b + 1, c) === 'P',
    text: line.slice(c + 1),
  };
}

export function readLines(path: string): LogLine[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map(parseLine)
    .filter((l): l is LogLine => !!l);
}

export interface LogQuery {
  timestamps: boolean;
  tailLines?: number;
  sinceMs?: number;
  limitBytes?: number;
}

/** Renders parsed lines as the API returns them (a partial line has no newline; `timestamps` prefixes the time). */
export function render(l: LogLine, q: LogQuery): string {
  return (q.timestamps ? `${l.time} ` : '') + l.text + (l.partial ? '' : '\n');
}

/** The lines a non-follow request returns: since filter, then the last tailLines. */
export function select(lines: LogLine[], q: LogQuery): LogLine[] {
  let out = q.sinceMs !== undefined ? lines.filter((l) => l.ms >= q.sinceMs!) : lines;
  if (q.tailLines !== undefined && q.tailLines >= 0) {
    // Count whole lines: a run of partial fragments ends with the full one.
    let full = 0;
    let i = out.length;
    while (i > 0) {
      if (!out[i - 1].partial) {
        if (full === q.tailLines) break;
        full++;
      }
      i--;
    }
    out = out.slice(i);
  }
  return out;
}

export { createReadStream };
