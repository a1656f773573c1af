// How a developer copy runs with a debugger listening, per runtime: which runtime a container is
// (from its command, else its image), the debug port, and how the original argv changes to open it.
// The debugger always listens on 127.0.0.1 inside the pod, never on the pod network: an inspector
// runs any code it is sent, so it is reached only through the API server's port-forward.
// Go (Delve in DAP mode) and Java (JDWP) follow the same pattern: an entry in `runtimes` below.

export const debugAnnotation = 'devlane.dev/debug';

export type DebugRuntime = 'node' | 'python';
export const debugRuntimes: readonly DebugRuntime[] = ['node', 'python'];

/** What the dev copy's pod template says about its debugger (annotation `devlane.dev/debug`). */
export interface DebugSpec {
  runtime: DebugRuntime;
  port: number;
  /** The container the debugger runs in. */
  container: string;
}

interface RuntimeRule {
  defaultPort: number;
  /** The argv's program is this runtime's interpreter. */
  isProgram(program: string): boolean;
  /** Images of this runtime, when the program does not say (e.g. `npm start`). */
  isImage(image: string): boolean;
  /** The argv with the debugger listening, when the program is the interpreter. */
  launch(argv: string[], port: number): string[] | undefined;
}

const base = (p: string) => p.slice(p.lastIndexOf('/') + 1);
const imageName = (image: string) => base(image.replace(/[@:][^/]*$/, '').replace(/:[^/]*$/, ''));

/** Python interpreter options that take a value (`-W default`, `-X dev`). */
const pythonOptsWithValue = new Set(['-W', '-X', '-Q']);

const runtimes: Record<DebugRuntime, RuntimeRule> = {
  node: {
    defaultPort: 9229,
    isProgram: (p) => /^(node|nodejs)(\d+)?$/.test(base(p)),
    isImage: (i) => /(^|[-_])(node|nodejs)([-_]|$)/.test(imageName(i)),
    launch: (argv, port) =>
      runtimes.node.isProgram(argv[0] ?? '')
        ? [
            argv[0],
            `--inspect=127.0.0.1:${port}`,
            ...argv.slice(1).filter((a) => !/^--inspect(-brk|-wait)?(=|$)/.test(a)),
          ]
        : undefined,
  },
  python: {
    defaultPort: 5678,
    isProgram: (p) => /^python(\d+(\.\d+)?)?$/.test(base(p)),
    isImage: (i) => /(^|[-_])(python|pypy)\d*([-_.]|$)/.test(imageName(i)),
    launch: (argv, port) => {
      if (!runtimes.python.isProgram(argv[0] ?? '')) return undefined;
      // Interpreter options stay before `-m debugpy`; what follows (a file, -m module, -c code) is debugpy's target.
      let i = 1;
      while (i < argv.length && argv[i].startsWith('-') && argv[i] !== '-m' && argv[i] !== '-c' && argv[i] !== '-')
        i += pythonOptsWithValue.has(argv[i]) ? 2 : 1;
      const rest = argv.slice(i);
      if (rest[0] === '-m' && rest[1] === 'debugpy') return argv; // already under debugpy
      return [...argv.slice(0, i), '-m', 'debugpy', '--listen', `127.0.0.1:${port}`, ...rest];
    },
  },
};

export function defaultDebugPort(runtime: DebugRuntime): number {
  return runtimes[runtime].defaultPort;
}

/** The runtime of a container: its program first (the argv's first word), else its image's name. */
export function detectRuntime(image: string | undefined, argv: string[] | undefined): DebugRuntime | undefined {
  const program = argv?.[0];
  if (program) {
    for (const r of debugRuntimes) if (runtimes[r].isProgram(program)) return r;
  }
  if (image) for (const r of debugRuntimes) if (runtimes[r].isImage(image)) return r;
  return undefined;
}

export interface DebugLaunch {
  argv?: string[];
  /** Environment to set (Node: NODE_OPTIONS, when the program is not `node` itself, e.g. `npm start`). */
  env?: Record<string, string>;
  /** Why debugging is not possible in this container, when it is not. */
  problem?: string;
}

/**
 * The argv (and environment) that runs the program with its debugger on 127.0.0.1:`port`.
 * `existingNodeOptions` is the container's NODE_OPTIONS when it is a plain value; `nodeOptionsFromElsewhere`
 * when it comes from valueFrom/envFrom (then it cannot be extended safely).
 */
export function debugLaunch(
  runtime: DebugRuntime,
  argv: string[],
  port: number,
  env: { nodeOptions?: string; nodeOptionsFromElsewhere?: boolean } = {},
): DebugLaunch {
  const launched = runtimes[runtime].launch(argv, port);
  if (launched) return { argv: launched };
  if (runtime === 'node') {
    // `npm start`, a shell script, ...: the Node process it starts reads NODE_OPTIONS.
    if (env.nodeOptionsFromElsewhere)
      return {
        problem:
          'NODE_OPTIONS comes from a ConfigMap, Secret or field reference, so Devlane cannot add --inspect to it; run the copy with a command that starts `node` directly ("run" in .vscode/devlane.json)',
      };
    return { argv, env: { NODE_OPTIONS: [env.nodeOptions, `--inspect=127.0.0.1:${port}`].filter(Boolean).join(' ') } };
  }
  return {
    problem: `the program "${argv[0]}" is not the Python interpreter, so Devlane cannot start it under debugpy; set "run" in .vscode/devlane.json to a command that starts with python (e.g. ["python", "-m", "uvicorn", "app:app"])`,
  };
}

export function debugAnnotationValue(spec: DebugSpec): string {
  return JSON.stringify({ runtime: spec.runtime, port: spec.port, container: spec.container });
}

/** The annotation's value read back; undefined when absent or not understood. */
export function parseDebugAnnotation(value: string | undefined): DebugSpec | undefined {
  if (!value) return undefined;
  try {
    const v = JSON.parse(value) as Partial<DebugSpec>;
    if (
      !v ||
      !debugRuntimes.includes(v.runtime as DebugRuntime) ||
      typeof v.port !== 'number' ||
      !Number.isInteger(v.port) ||
      v.port < 1 ||
      v.port > 65535 ||
      typeof v.container !== 'string'
    )
      return undefined;
    return { runtime: v.runtime as DebugRuntime, port: v.port, container: v.container };
  } catch {
    return undefined;
  }
}
