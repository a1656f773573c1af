// How a developer copy runs with a debugger listening, per runtime: which runtime a container is
// (from its command, else its image), the debug port, and how the original argv changes to open it.
// The debugger always listens on 127.0.0.1 inside the pod, never on the pod network: an inspector
// runs any code it is sent, so it is reached only through the API server's port-forward.
// Java (JDWP) would follow the same pattern: an entry in `runtimes` below.

export const debugAnnotation = 'devlane.dev/debug';

export type DebugRuntime = 'node' | 'python' | 'go';
export const debugRuntimes: readonly DebugRuntime[] = ['node', 'python', 'go'];

/** What the dev copy's pod template says about its debugger (annotation `devlane.dev/debug`). */
export interface DebugSpec {
  runtime: DebugRuntime;
  port: number;
  /** The container the debugger runs in. */
  container: string;
}

interface RuntimeRule {
  defaultPort: number;
  /** The argv's program is this runtime's interpreter (for Go: the debugger, or the binary the copy builds). */
  isProgram(program: string, hints: DetectHints): boolean;
  /** Images of this runtime, when the program does not say (e.g. `npm start`). */
  isImage(image: string): boolean;
  /** The argv with the debugger listening, when the program is the interpreter. */
  launch(argv: string[], port: number): string[] | undefined;
}

const base = (p: string) => p.slice(p.lastIndexOf('/') + 1);
const imageName = (image: string) => base(image.replace(/[@:][^/]*$/, '').replace(/:[^/]*$/, ''));

/** Python interpreter options that take a value (`-W default`, `-X dev`). */
const pythonOptsWithValue = new Set(['-W', '-X', '-Q']);

/** What the copy's configuration says beyond the pod spec. */
export interface DetectHints {
  /** The binary the copy builds and runs (a Go `build` mapping): a program that is this file is Go. */
  builtBinary?: string;
}

/**
 * Runs `dlv exec ...` (its arguments) and stops it when the program it started has exited. In
 * multi-client mode Delve outlives its program (it waits for a client to restart or detach it), so
 * without this a crashed Go program would look like a running one to the restart supervisor. The
 * program is Delve's child: a second loop looks each second for a process whose parent is Delve
 * (other than Delve's own telemetry helper, also called dlv), and stops Delve once there is none,
 * after having seen one or after 10 s (Delve starts the program at once, but a program that exits at
 * once may never be seen).
 *
 * On the supervisor's SIGTERM (a restart, the pod's end) the program is killed first, then Delve:
 * Delve starts its program in a process group of its own, and a SIGTERM ends Delve alone, leaving
 * the program running detached and holding the port the next program must listen on (a program
 * paused at a breakpoint could not act on a SIGTERM anyway, hence SIGKILL). Delve runs in a session
 * of its own, so that this script, not the supervisor's signal to our group, decides the order.
 * Written without `$(` and `$$`, so that Kubernetes' $(VAR) expansion of command and args leaves it
 * as it is.
 */
export const delveWatchScript = `group=; if command -v setsid >/dev/null 2>&1; then group=setsid; elif busybox setsid true 2>/dev/null; then group='busybox setsid'; fi
$group "$@" & d=$!
findkid() {
  kid=
  for s in /proc/[0-9]*/stat; do
    { read -r line < "$s"; } 2>/dev/null || continue
    comm=\${line#*(}; comm=\${comm%%)*}
    set -- \${line##*) }
    if [ "$2" = "$d" ] && [ "$comm" != dlv ]; then kid=\${s#/proc/}; kid=\${kid%/stat}; return 0; fi
  done
  return 1
}
trap 'findkid && kill -KILL "$kid" 2>/dev/null; kill -TERM "$d" 2>/dev/null' TERM INT
(
  seen=; n=
  while kill -0 "$d" 2>/dev/null; do
    if findkid; then seen=1
    elif [ -n "$seen" ] || [ \${#n} -ge 10 ]; then
      echo "[devlane] the program exited under dlv (which does not say with which code); stopping dlv" >&2
      kill -TERM "$d" 2>/dev/null; exit 0
    fi
    n=$n.; sleep 1
  done
) & w=$!
code=0
while kill -0 "$d" 2>/dev/null; do wait "$d"; code=$?; done
kill "$w" 2>/dev/null
exit "$code"
`;

/** Delve's flags for a program started at once and debugged by clients that attach later. */
export function delveArgv(binary: string, args: string[], port: number): string[] {
  return [
    'dlv',
    'exec',
    '--headless',
    `--listen=127.0.0.1:${port}`,
    // DAP clients attach with {"request": "attach", "mode": "remote"}; --continue needs multi-client mode,
    // which also keeps the program running when the editor disconnects.
    '--accept-multiclient',
    '--api-version=2',
    '--continue',
    // Delve's same-user check compares socket owners inside the pod: the port-forward's connection
    // belongs to the container runtime (root), not to the container's user. The listener is on the
    // pod's loopback, reached only through the API server's port-forward (pods/portforward).
    '--only-same-user=false',
    binary,
    '--',
    ...args,
  ];
}

const runtimes: Record<DebugRuntime, RuntimeRule> = {
  node: {
    defaultPort: 9229,
    isProgram: (p) => /^(node|nodejs)(\d+)?$/.test(base(p)),
    isImage: (i) => /(^|[-_])(node|nodejs)([-_]|$)/.test(imageName(i)),
    launch: (argv, port) =>
      runtimes.node.isProgram(argv[0] ?? '', {})
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
      if (!runtimes.python.isProgram(argv[0] ?? '', {})) return undefined;
      // Interpreter options stay before `-m debugpy`; what follows (a file, -m module, -c code) is debugpy's target.
      let i = 1;
      while (i < argv.length && argv[i].startsWith('-') && argv[i] !== '-m' && argv[i] !== '-c' && argv[i] !== '-')
        i += pythonOptsWithValue.has(argv[i]) ? 2 : 1;
      const rest = argv.slice(i);
      if (rest[0] === '-m' && rest[1] === 'debugpy') return argv; // already under debugpy
      return [...argv.slice(0, i), '-m', 'debugpy', '--listen', `127.0.0.1:${port}`, ...rest];
    },
  },
  go: {
    defaultPort: 2345,
    // A Go program is a binary of any name: Delve itself, the binary a `build` mapping makes, or the image says.
    isProgram: (p, hints) => base(p) === 'dlv' || (!!hints.builtBinary && p === hints.builtBinary),
    isImage: (i) => /(^|[-_])(golang|go)([-_.]|$)/.test(imageName(i)),
    launch: (argv, port) => {
      const program = argv[0];
      if (!program) return undefined;
      if (base(program) === 'dlv') return argv; // already under Delve, as the command says
      if (program.startsWith('-')) return undefined;
      return ['sh', '-c', delveWatchScript, 'devlane-dlv', ...delveArgv(program, argv.slice(1), port)];
    },
  },
};

export function defaultDebugPort(runtime: DebugRuntime): number {
  return runtimes[runtime].defaultPort;
}

/** The runtime of a container: its program first (the argv's first word), else its image's name. */
export function detectRuntime(
  image: string | undefined,
  argv: string[] | undefined,
  hints: DetectHints = {},
): DebugRuntime | undefined {
  const program = argv?.[0];
  if (program) {
    for (const r of debugRuntimes) if (runtimes[r].isProgram(program, hints)) return r;
  }
  if (image) for (const r of debugRuntimes) if (runtimes[r].isImage(image)) return r;
  return undefined;
}

export interface DebugLaunch {
  argv?: string[];
  /** Environment to set (Node: NODE_OPTIONS, when the program is not `node` itself, e.g. `npm start`; Go: GOFLAGS for the copy's builds). */
  env?: Record<string, string>;
  /** Why debugging is not possible in this container, when it is not. */
  problem?: string;
}

/**
 * A variable of the container's environment: its plain value, or where else it may come from (its
 * own valueFrom, or the container's envFrom when it is not in env), when it cannot be extended safely.
 */
export type ContainerEnv = (name: string) => { value?: string; fromElsewhere?: 'valueFrom' | 'envFrom' };

/**
 * Go's flags for a program a debugger reads well: no optimisation and no inlining, so that every
 * local has a value and every line a stop (an optimised build shows "unreadable" variables). For
 * `go build` in the copy (the `build` action), through GOFLAGS, which a build command's own
 * -gcflags overrides.
 */
export const goDebugFlags = "'-gcflags=all=-N -l'";

/** The argv (and environment) that runs the program with its debugger on 127.0.0.1:`port`. */
export function debugLaunch(
  runtime: DebugRuntime,
  argv: string[],
  port: number,
  env: ContainerEnv = () => ({}),
): DebugLaunch {
  const launched = runtimes[runtime].launch(argv, port);
  if (launched && runtime === 'go') {
    // GOFLAGS only affects the copy's builds (a production image is a built binary): one that may come
    // from an envFrom ConfigMap is replaced, one from a valueFrom of its own is left alone.
    const flags = env('GOFLAGS');
    if (flags.fromElsewhere === 'valueFrom' || flags.value?.includes('-gcflags')) return { argv: launched };
    return { argv: launched, env: { GOFLAGS: [flags.value, goDebugFlags].filter(Boolean).join(' ') } };
  }
  if (launched) return { argv: launched };
  if (runtime === 'node') {
    // `npm start`, a shell script, ...: the Node process it starts reads NODE_OPTIONS.
    const nodeOptions = env('NODE_OPTIONS');
    if (nodeOptions.fromElsewhere)
      return {
        problem:
          'NODE_OPTIONS comes from a ConfigMap, Secret or field reference, so Devlane cannot add --inspect to it; run the copy with a command that starts `node` directly ("run" in .vscode/devlane.json)',
      };
    return {
      argv,
      env: { NODE_OPTIONS: [nodeOptions.value, `--inspect=127.0.0.1:${port}`].filter(Boolean).join(' ') },
    };
  }
  if (runtime === 'go')
    return {
      problem: `the program "${argv[0]}" cannot be started under dlv; set "run" in .vscode/devlane.json to the binary and its arguments (e.g. ["/tmp/devlane/bin/app", "--port", "8080"])`,
    };
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
