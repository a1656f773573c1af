// Log text handling shared by every log view: splitting a byte stream into lines, reading the
// timestamps the API server adds (timestamps=true), and the `[pod/container]` prefix kubectl
// uses for merged logs, optionally coloured with ANSI codes for a terminal.
import { StringDecoder } from 'node:string_decoder';

/** Splits a stream of chunks into lines; keeps a partial line until its end arrives. */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';

  /** Returns the complete lines in this chunk, without their line endings. */
  push(chunk: Buffer | string): string[] {
    const text = this.partial + (typeof chunk === 'string' ? chunk : this.decoder.write(chunk));
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    return lines.map(stripCr);
  }

  /** The unterminated last line, if any, when the stream ends. */
  end(): string[] {
    const rest = this.partial + this.decoder.end();
    this.partial = '';
    return rest ? [stripCr(rest)] : [];
  }
}

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

const timestampPattern = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2}) ?/;

export interface TimestampedLine {
  /** RFC 3339 timestamp the API server put in front of the line, if it did. */
  timestamp?: string;
  text: string;
}

export function splitTimestamp(line: string): TimestampedLine {
  const m = timestampPattern.exec(line);
  if (!m) return { text: line };
  return { timestamp: m[0].trimEnd(), text: line.slice(m[0].length) };
}

/**
 * A sortable key for an RFC 3339 timestamp: fractions padded to nanoseconds, so that
 * "…:05.5Z" sorts after "…:05.123456789Z". Only UTC ("Z") is sortable as text; the API server
 * always writes UTC, and anything else sorts by its text.
 */
export function timestampKey(ts: string): string {
  const m = timestampPattern.exec(ts);
  if (!m || m[3] !== 'Z') return ts;
  const fraction = (m[2] ?? '.').slice(1).padEnd(9, '0');
  return `${m[1]}.${fraction}Z`;
}

export interface LogSource {
  pod: string;
  container: string;
}

/** kubectl's `--prefix` format. */
export function sourcePrefix(source: LogSource): string {
  return `[pod/${source.pod}/${source.container}]`;
}

// Bright, readable on dark and light themes; red is left out so it keeps meaning "error".
const palette = [36, 32, 33, 35, 34, 96, 92, 93, 95, 94];

/** A colour that stays the same for the same source across reconnects. */
export function sourceColour(source: LogSource): number {
  let h = 2166136261;
  for (const ch of `${source.pod}/${source.container}`) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 16777619);
  }
  return palette[(h >>> 0) % palette.length];
}

export function formatLine(source: LogSource, text: string, colour: boolean): string {
  const prefix = sourcePrefix(source);
  return colour ? `\x1b[${sourceColour(source)}m${prefix}\x1b[0m ${text}` : `${prefix} ${text}`;
}

/** A line Devlane itself adds to a log view (reconnecting, pod replaced...), dimmed in a terminal. */
export function formatNotice(text: string, colour: boolean): string {
  return colour ? `\x1b[2m-- ${text}\x1b[0m` : `-- ${text}`;
}
