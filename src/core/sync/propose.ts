// Proposing a sync mapping for a service the workspace does not map yet: the container's side is
// its working directory (from the pod spec, else the directory its process starts in), the local
// side the workspace folder whose files best match what is there. The user confirms or changes it;
// it is then stored in .vscode/devlane.json. A working directory of `/` or a system directory
// (an image without WORKDIR) is never proposed as it is: the proposal says why, and the user types
// the path. Pure: the caller lists both sides.
import { posix } from 'node:path';
import { defaultBinary, goImage, goVersionOf } from './build';
import { remotePathProblem } from './remote-root';

export interface LocalCandidate {
  /** Relative to the workspace folder, POSIX; '.' for the folder itself. */
  path: string;
  /** Names of the entries directly inside it. */
  entries: string[];
}

export interface MappingProposal {
  localPath: string;
  remotePath: string;
  /** Why: shown to the user next to the proposal. */
  reason: string;
  /** Entries found on both sides (0 when the container could not be listed). */
  matched: number;
  /** Why remotePath cannot be used as it is (a system directory), with what to do; the user must give another. */
  problem?: string;
  /** The image the service's container runs (for a Go module: does it have a toolchain?). */
  image?: string;
}

/** What a mapping of a local folder sets beyond its paths: a Go module is built in the copy. */
export interface BuildSettings {
  action: 'build';
  /** The build command, when the module's program is not its root package (`./cmd/NAME`). */
  build?: string;
  /** A Go toolchain image, unless the service's image is one (a Go service ships a binary on a minimal base). */
  devImage?: string;
}

/**
 * For a folder with a go.mod: action build, on `golang:<its go line>` unless the image is a golang
 * one; `main` is the module's program when it is not the root package (see goMainPackage).
 */
export function goSettings(
  goMod: string | undefined,
  image: string | undefined,
  main?: string,
): BuildSettings | undefined {
  if (goMod === undefined) return undefined;
  const build = main ? { build: `go build -o ${defaultBinary} ${main}` } : {};
  if (image && /(^|\/)golang:/.test(image)) return { action: 'build', ...build };
  return { action: 'build', ...build, devImage: goImage(goVersionOf(goMod)) };
}

/**
 * The package to build in a Go module whose root is not the program, as Go repositories are often
 * laid out (`cmd/NAME/main.go` beside library packages): the `cmd/` folder named like the service
 * (or whose name contains it, `cmd/go-httpbin` for httpbin), else the only one. Undefined when the
 * root has a main.go, or no such folder can be told. `candidates` are relative to the module root.
 */
export function goMainPackage(service: string, candidates: LocalCandidate[]): string | undefined {
  const root = candidates.find((c) => c.path === '.');
  if (!root || root.entries.includes('main.go')) return undefined;
  const cmds = candidates.filter((c) => /^cmd\/[^/]+$/.test(c.path) && c.entries.some((e) => e.endsWith('.go')));
  const name = (c: LocalCandidate) => posix.basename(c.path);
  const pick =
    cmds.find((c) => name(c) === service) ??
    cmds.find((c) => name(c).includes(service) || service.includes(name(c))) ??
    (cmds.length === 1 ? cmds[0] : undefined);
  return pick ? `./${pick.path}` : undefined;
}

/** How the settings read next to a proposal. */
export function describeSettings(s: BuildSettings, image: string | undefined): string {
  return `a Go module: built in the copy after each sync (action "build")${s.devImage ? `, on ${s.devImage}, since ${image ? `the image ${image}` : 'the image'} is not a Go toolchain image` : ''}`;
}

/** Names that say nothing about which folder is the service's (every project has them). */
const generic = new Set([
  '.git',
  '.gitignore',
  '.dockerignore',
  'README.md',
  'LICENSE',
  'node_modules',
  '.vscode',
  '.DS_Store',
]);

/**
 * The local folder whose entries overlap most with the container's; ties go to a folder named
 * like the service, then to the shallower one. Without a container listing, a folder named like
 * the service, else the workspace folder itself.
 */
export function proposeMapping(
  service: string,
  remoteDir: string,
  remoteEntries: string[] | undefined,
  candidates: LocalCandidate[],
): MappingProposal {
  const proposal = inGoModule(bestMatch(service, remoteDir, remoteEntries, candidates), candidates);
  const problem = remotePathProblem(remoteDir);
  return problem
    ? { ...proposal, problem: `The container's working directory ${problem.replace(/^"[^"]*" is /, 'is ')}` }
    : proposal;
}

/**
 * A folder inside a Go module (an ancestor has the go.mod, it has none) is one package of it and
 * cannot be built alone: the module's folder is proposed instead.
 */
function inGoModule(p: MappingProposal, candidates: LocalCandidate[]): MappingProposal {
  const own = candidates.find((c) => c.path === p.localPath);
  if (!own || own.entries.includes('go.mod')) return p;
  const module = candidates
    .filter((c) => c.entries.includes('go.mod') && (c.path === '.' || p.localPath.startsWith(`${c.path}/`)))
    .sort((a, b) => b.path.length - a.path.length)[0];
  if (!module) return p;
  const where = module.path === '.' ? 'the workspace folder' : module.path;
  return {
    ...p,
    localPath: module.path,
    reason: `${p.localPath} is a package of the Go module in ${where} (its go.mod), which is built as a whole; ${p.reason}`,
  };
}

function bestMatch(
  service: string,
  remoteDir: string,
  remoteEntries: string[] | undefined,
  candidates: LocalCandidate[],
): MappingProposal {
  const remote = new Set((remoteEntries ?? []).filter((e) => !generic.has(e)));
  const named = (c: LocalCandidate) => posix.basename(c.path) === service;
  const depth = (c: LocalCandidate) => (c.path === '.' ? 0 : c.path.split('/').length);
  const scored = candidates.map((c) => ({ c, score: c.entries.filter((e) => remote.has(e)).length }));
  scored.sort(
    (a, b) =>
      b.score - a.score ||
      Number(named(b.c)) - Number(named(a.c)) ||
      depth(a.c) - depth(b.c) ||
      a.c.path.localeCompare(b.c.path),
  );
  const best = scored[0];
  if (best && best.score > 0) {
    const shared = best.c.entries.filter((e) => remote.has(e)).slice(0, 3);
    return {
      localPath: best.c.path,
      remotePath: remoteDir,
      matched: best.score,
      reason: `${best.score} of the container's entries in ${remoteDir} are in ${best.c.path === '.' ? 'the workspace folder' : best.c.path} (${shared.join(', ')}${best.score > shared.length ? ', …' : ''})`,
    };
  }
  const byName = candidates.filter(named).sort((a, b) => depth(a) - depth(b))[0];
  if (byName)
    return {
      localPath: byName.path,
      remotePath: remoteDir,
      matched: 0,
      reason: `the folder is named like the service${remoteEntries ? `; nothing in it matches ${remoteDir} in the container` : ''}`,
    };
  return {
    localPath: '.',
    remotePath: remoteDir,
    matched: 0,
    reason: remoteEntries
      ? `no local folder matches ${remoteDir} in the container; check it`
      : 'the container could not be listed; check it',
  };
}
