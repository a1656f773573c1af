// Reads the developer copy's output for the one thing the supervisor (supervisor.ts) says when
// the program stops by itself: "the process exited with code N". At that moment the lines before
// it hold the program's last words: an uncaught exception or a syntax error, printed by Node or
// Python with the file and line that caused it. Those become problems at the local file (through
// the sync mapping), for the editor's Problems view; the next restart clears them. Pure: the
// editor glue feeds it lines and shows what it returns.
import { posix } from 'node:path';
import { exitedPrefix, restartingPrefix } from './supervisor';

/** A file and line the program's last output blamed, with the error's message. */
export interface CopyProblem {
  /** The path in the container, as the runtime printed it. */
  remotePath: string;
  /** The same file in the workspace, when the sync mapping covers it. */
  localPath?: string;
  /** 1-based. */
  line: number;
  /** 1-based, when the runtime said. */
  column?: number;
  message: string;
}

/** Where a copy's trouble comes from: its program exited by itself, or the build after a sync failed (src/core/sync/build.ts). */
export type TroubleSource = 'program' | 'build';

/** The copy's program exited by itself and waits for the next sync; or its build failed and the previous program keeps running. */
export interface CopyTrouble {
  /** The program's exit code, or the build command's. */
  exitCode: number;
  /** The error line the program printed last ("SyntaxError: Unexpected token ')'"), if any. */
  error?: string;
  /** The program's last lines before it exited, oldest first. */
  lastLines: string[];
  problems: CopyProblem[];
}

export interface SyncMappingPaths {
  /** The local folder synced (absolute). */
  localRoot: string;
  /** Where it lands in the container (absolute, POSIX). */
  remotePath: string;
}

const keptLines = 40;

/** One container's output, line by line. */
export class CopyOutput {
  private readonly recent: string[] = [];
  private current: CopyTrouble | undefined;

  constructor(private readonly mapping?: SyncMappingPaths) {}

  get trouble(): CopyTrouble | undefined {
    return this.current;
  }

  /** Takes one line; says whether the copy just exited or just restarted. */
  push(line: string): 'exited' | 'restarted' | undefined {
    const exited = exitedLine(line);
    if (exited !== undefined) {
      const lastLines = this.recent.splice(0);
      this.current = {
        exitCode: exited,
        error: errorLine(lastLines),
        lastLines,
        problems: stackProblems(lastLines, this.mapping),
      };
      return 'exited';
    }
    if (line.startsWith(restartingPrefix)) {
      this.recent.length = 0;
      const had = this.current !== undefined;
      this.current = undefined;
      return had ? 'restarted' : undefined;
    }
    this.recent.push(line);
    if (this.recent.length > keptLines) this.recent.shift();
    return undefined;
  }
}

function exitedLine(line: string): number | undefined {
  if (!line.startsWith(exitedPrefix)) return undefined;
  const code = /^\d+/.exec(line.slice(exitedPrefix.length));
  return code ? Number(code[0]) : -1;
}

// "SyntaxError: Unexpected token", "ZeroDivisionError: division by zero", "Error: boom",
// "ModuleNotFoundError: No module named 'x'", "KeyboardInterrupt", "Uncaught TypeError: …".
const errorPattern = /^(?:Uncaught )?([A-Za-z_][\w.]*(?:Error|Exception|Interrupt|Exit)|Error)(?::\s?(.*))?$/;

/** The last line that names an error, as printed. */
export function errorLine(lines: readonly string[]): string | undefined {
  for (let i = lines.length - 1; i >= 0; i--) if (errorPattern.test(lines[i].trim())) return lines[i].trim();
  return undefined;
}

// Node prints the failing line first ("/app/server.js:12"), then the source line and a caret.
// ES modules print a file: URL there and in their frames.
const nodeHeader = /^(?:file:\/\/)?(\/[^\s:]+):(\d+)$/;
// Node stack frames: "    at fn (/app/server.js:12:5)" or "    at /app/server.js:12:5".
const nodeFrame = /^\s+at (?:.*? \()?(?:file:\/\/)?(\/[^\s:()]+):(\d+):(\d+)\)?$/;
// Python: '  File "/app/app.py", line 12, in main' or '  File "/app/app.py", line 12'.
const pythonFrame = /^\s*File "([^"]+)", line (\d+)/;

/**
 * Where the output blames: Python's innermost frame (the last "File" line); for Node, the file
 * and line it printed first, else the first stack frame in the synced tree (skipping the runtime's
 * own and node_modules). One problem, carrying the error line as its message.
 */
export function stackProblems(lines: readonly string[], mapping?: SyncMappingPaths): CopyProblem[] {
  const message = errorLine(lines) ?? 'the program exited';
  const local = (remote: string) => localPathFor(remote, mapping);
  const ours = (remote: string) => !remote.includes('/node_modules/') && (!mapping || local(remote) !== undefined);
  let found: Omit<CopyProblem, 'message' | 'localPath'> | undefined;
  const python = lines.map((l) => pythonFrame.exec(l)).filter((m): m is RegExpExecArray => m !== null);
  if (python.length) {
    const frames = python.map((m) => ({ remotePath: m[1], line: Number(m[2]) }));
    found = [...frames].reverse().find((f) => ours(f.remotePath)) ?? frames[frames.length - 1];
  } else {
    const at = lines.findIndex((l) => nodeHeader.test(l.trim()));
    if (at >= 0) {
      const header = nodeHeader.exec(lines[at].trim())!;
      // Under the source line, a caret marks the column.
      const caret = lines[at + 2]?.indexOf('^') ?? -1;
      found = {
        remotePath: header[1],
        line: Number(header[2]),
        ...(caret >= 0 && /^\s*\^+\s*$/.test(lines[at + 2]) ? { column: caret + 1 } : {}),
      };
    } else {
      const frames = lines
        .map((l) => nodeFrame.exec(l))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => ({ remotePath: m[1], line: Number(m[2]), column: Number(m[3]) }));
      found = frames.find((f) => ours(f.remotePath)) ?? frames[0];
    }
  }
  if (!found || found.line < 1) return [];
  return [{ ...found, localPath: local(found.remotePath), message }];
}

/** The local file a container path comes from, when it is inside the synced tree. */
export function localPathFor(remote: string, mapping: SyncMappingPaths | undefined): string | undefined {
  if (!mapping || !remote.startsWith('/')) return undefined;
  const rel = posix.relative(posix.normalize(mapping.remotePath), posix.normalize(remote));
  if (rel === '' || rel.startsWith('..') || posix.isAbsolute(rel)) return undefined;
  const sep = mapping.localRoot.includes('\\') && !mapping.localRoot.includes('/') ? '\\' : '/';
  return `${mapping.localRoot.replace(/[\\/]+$/, '')}${sep}${rel.split('/').join(sep)}`;
}
