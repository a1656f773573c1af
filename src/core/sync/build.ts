// The `build` action (Go first): after each batch the copy runs a build command in remotePath, and
// the supervisor restarts the program only when the build succeeded. The receiver
// (./receiver.ts) runs it with Go's caches in the copy's run directory, into a temporary file that
// replaces the program only on success, so a failed build leaves the old program serving; its
// output comes back with the batch's answer, and the compiler's file:line:column lines become
// problems at the local files (through the sync mapping). Pure: the receiver and the editor glue
// use what is here.
import { posix } from 'node:path';
import { type CopyProblem, localPathFor, type SyncMappingPaths } from './copy-trouble';
import { defaultRunDir } from './receiver';

/** Where the default build puts the program: the copy's run directory, an emptyDir that outlives a container restart. */
export const defaultBinary = `${defaultRunDir}/bin/app`;
export const defaultBuildCommand = `go build -o ${defaultBinary} .`;
/** The Go release whose toolchain image Devlane proposes unless a module asks for a newer one. */
export const currentGo = '1.26';

/**
 * The toolchain image for a Go module whose go.mod's `go` line says `version`. That line is the
 * oldest Go that may build the module (an older toolchain refuses it; a newer one builds it), so a
 * module asking an older release still gets the current toolchain, and one asking a newer release
 * gets that one.
 */
export const goImage = (version = currentGo) => `golang:${newerGo(version, currentGo)}`;

function newerGo(a: string, b: string): string {
  const [am, an] = a.split('.').map(Number);
  const [bm, bn] = b.split('.').map(Number);
  if (!Number.isFinite(am) || !Number.isFinite(an)) return b;
  return am > bm || (am === bm && an > bn) ? a : b;
}

/** The output option of a build command (`-o PATH` or `-o=PATH`), resolved against the build's directory. */
const outputOption = /(^|\s)-o(?:=|\s+)(?:"([^"]*)"|'([^']*)'|([^\s;&|"']+))/;

export function buildOutput(command: string, buildDir: string): string | undefined {
  const m = outputOption.exec(command);
  if (!m) return undefined;
  const out = m[2] ?? m[3] ?? m[4];
  return posix.isAbsolute(out) ? posix.normalize(out) : posix.join(buildDir, out);
}

/** Why a program path cannot be used (the receiver reads it as one word), or undefined. */
export function binaryProblem(binary: string): string | undefined {
  if (!binary.startsWith('/')) return `must be an absolute path in the container (got "${binary}")`;
  if (/\s/.test(binary)) return `must not contain spaces (got "${binary}")`;
  return undefined;
}

/** Where a build is written until it succeeded; the receiver moves it over the program then. */
export const nextBinary = (binary: string) => `${binary}.devlane-next`;

/**
 * The command as the receiver runs it: the `-o` that names the program writes to
 * `$DEVLANE_BUILD_OUTPUT` instead (the temporary file). A command that does not name the program
 * with `-o` is run as written: it writes the program itself (or `$DEVLANE_BUILD_OUTPUT`).
 */
export function buildScript(command: string, binary: string, buildDir: string): string {
  if (buildOutput(command, buildDir) !== binary) return command;
  return command.replace(outputOption, (_all, lead: string) => `${lead}-o "$DEVLANE_BUILD_OUTPUT"`);
}

/**
 * The receiver's build line. `always` restarts the program after every good build (a save);
 * `changed` only when the new program differs from the one in place or there is none yet (the
 * build after a reconnect, which must not restart a program nothing changed).
 */
export function buildLine(
  mapping: { build?: string; binary?: string; remotePath: string },
  mode: 'always' | 'changed',
): string {
  const binary = mapping.binary ?? defaultBinary;
  return `G ${mode} ${binary} ${buildScript(mapping.build ?? defaultBuildCommand, binary, mapping.remotePath)}`;
}

/** What a build did, as the receiver says: `BUILD ok|same|failed|missing CODE` after the output lines. */
export interface BuildOutcome {
  result: 'ok' | 'same' | 'failed' | 'missing';
  /** The build command's exit code. */
  code: number;
  /** What it printed (the last few hundred lines). */
  output: string[];
}

// "./main.go:12:5: undefined: x", "internal/db/db.go:7:2: ...", "/app/x.go:3: ..." (go, gcc, rustc-short).
const located = /^(\S+?):(\d+)(?::(\d+))?: (.+)$/;

/**
 * The problems a build printed, at the files in the container and, through the sync mapping, the
 * local ones. Paths are relative to the build's directory (remotePath) unless absolute; `# pkg`
 * headers are skipped; indented lines after a problem (a type error's "have … want …") belong to
 * it. A line the command printed without a location is not a problem (the output says it).
 */
export function buildProblems(lines: readonly string[], mapping: SyncMappingPaths): CopyProblem[] {
  const problems: CopyProblem[] = [];
  let last: CopyProblem | undefined;
  for (const line of lines) {
    const m = located.exec(line);
    if (m && !line.startsWith(' ') && !line.startsWith('\t')) {
      const remotePath = posix.isAbsolute(m[1]) ? posix.normalize(m[1]) : posix.join(mapping.remotePath, m[1]);
      last = {
        remotePath,
        localPath: localPathFor(remotePath, mapping),
        line: Number(m[2]),
        ...(m[3] ? { column: Number(m[3]) } : {}),
        message: m[4],
      };
      problems.push(last);
    } else if (last && /^\s+\S/.test(line)) last.message += `\n${line.trim()}`;
    else last = undefined;
  }
  return problems;
}

/** The toolchain is missing from the copy's image: what to do, with the image to use. */
export function noToolchain(outcome: BuildOutcome, image: string | undefined, goVersion?: string): string | undefined {
  const text = outcome.output.join('\n');
  if (outcome.code !== 127 && !/\bgo: (?:command )?not found|"go": executable file not found/.test(text))
    return undefined;
  const tool = /(?:^|\s)([\w.-]+): (?:command )?not found/.exec(text)?.[1] ?? 'go';
  return (
    `the copy's image ${image ?? ''} has no ${tool === 'go' ? 'Go toolchain' : `"${tool}"`} to build with: ` +
    `set "devImage" for this service in .vscode/devlane.json (e.g. "${goImage(goVersion)}") and start the session again`
  ).replace('image  has', 'image has');
}

/** The `go` line of a go.mod ("go 1.26.1" → "1.26"): the oldest Go that builds the module. */
export function goVersionOf(goMod: string): string | undefined {
  const m = /^go\s+(\d+)\.(\d+)/m.exec(goMod);
  return m ? `${m[1]}.${m[2]}` : undefined;
}

/** How a build's result reads (CLI, notifications): the problems at local paths, else the output's end. */
export function describeBuildFailure(
  outcome: BuildOutcome,
  problems: readonly CopyProblem[],
  relative: (p: string) => string,
): string {
  const head =
    outcome.result === 'missing'
      ? `the build succeeded but did not write the program`
      : `the build failed (exit code ${outcome.code}); the previous program keeps running`;
  const body = problems.length
    ? problems.map(
        (p) => `${relative(p.localPath ?? p.remotePath)}:${p.line}${p.column ? `:${p.column}` : ''}: ${p.message}`,
      )
    : outcome.output.filter((l) => l.trim()).slice(-10);
  return [head, ...body.map((l) => `  ${l.replace(/\n/g, '\n  ')}`)].join('\n');
}

/**
 * What the supervisor runs for a build mapping: the built program with the original container's
 * arguments (its `args`, after what its `command` lists past the program), or `run` when the
 * config gives it. It starts with the program's path (a debugger wraps it: `dlv exec PROGRAM -- ARGS`).
 */
export function builtProgram(
  original: { command?: string[]; args?: string[] },
  mapping: { binary?: string; run?: string[] },
): string[] {
  if (mapping.run?.length) return [...mapping.run];
  return [mapping.binary ?? defaultBinary, ...(original.command?.slice(1) ?? []), ...(original.args ?? [])];
}
