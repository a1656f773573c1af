// How the editor attaches to a developer copy's debugger, per runtime: one entry in `debugAdapters`
// each. Pure: the caller found the pod, read the sync mapping and opened the tunnel.
//
// Two ways to attach, chosen by the runtime's debugger:
// - 'dap-server': the debugger in the pod speaks the Debug Adapter Protocol itself (debugpy; Delve's
//   headless server). The editor connects to the tunnel as to a debug adapter server (for Delve
//   through DelveRelay, which makes leaving keep the program running), and the attach request
//   carries the path mapping.
// - 'child-session': the debugger speaks its own protocol (the V8 inspector; JDWP later), for which
//   the editor has an adapter already (js-debug's `pwa-node`; the Java extension's `java`). Devlane
//   starts that adapter as a child of its own session, pointed at the tunnel.
// Java: { attach: 'child-session', type 'java', hostName/port, sourcePaths }.
import type { DebugRuntime } from '../core/debug/runtime';
import { type Platform, toSlashes } from '../core/sync/paths';

export interface AttachInput {
  /** The editor's side of the sync mapping (a local folder, in the host's own form). */
  localRoot: string;
  /** The container's side (POSIX). */
  remoteRoot: string;
  /** The tunnel's local port (only child sessions need it: a DAP server is reached by the factory). */
  port: number;
  /** A title for the session, e.g. "ratings (session alice-ratings)". */
  name: string;
}

export type AttachKind = 'dap-server' | 'child-session';

export interface RuntimeAttach {
  readonly attach: AttachKind;
  /** The debugger's own words for the log and the status bar. */
  readonly debuggerName: string;
  /** 'dap-server' only: the editor's messages go through DelveRelay (src/debug/delve-relay.ts) instead of straight to the tunnel. */
  readonly relay?: 'delve';
  /**
   * For 'dap-server': fields added to the user's `devlane` configuration, which the editor then sends
   * as the attach request. For 'child-session': the whole configuration of the child session.
   */
  config(input: AttachInput): Record<string, unknown>;
  /** What to tell the user when nothing listens on the debug port, given whether the debugger is installed. */
  notListening(installed: boolean | undefined, port: number, container: string): { message: string; hint: string };
}

export const debugAdapters: Record<DebugRuntime, RuntimeAttach> = {
  node: {
    attach: 'child-session',
    debuggerName: 'Node.js inspector',
    config: ({ localRoot, remoteRoot, port, name }) => ({
      type: 'pwa-node',
      request: 'attach',
      name,
      address: '127.0.0.1',
      port,
      localRoot,
      remoteRoot,
      sourceMaps: true,
      // After a sync restart the process comes back on the same port: js-debug attaches again.
      restart: true,
      // The copy keeps serving while attached; nothing waits for the debugger.
      continueOnAttach: true,
      skipFiles: ['<node_internals>/**'],
    }),
    notListening: (_installed, port, container) => ({
      message: `Nothing listens on 127.0.0.1:${port} in container "${container}" of the developer copy: its Node.js process did not start with the inspector`,
      hint: 'The copy runs with NODE_OPTIONS=--inspect=127.0.0.1:9229; a program that clears NODE_OPTIONS, or one that is not started by node, does not get it. Set "run" in .vscode/devlane.json to a command that starts node, then take the service over again.',
    }),
  },
  python: {
    attach: 'dap-server',
    debuggerName: 'debugpy',
    config: ({ localRoot, remoteRoot }) => ({
      pathMappings: [{ localRoot, remoteRoot }],
      justMyCode: true,
      showReturnValue: true,
      // Output already reaches the editor through Stream Logs; do not print it twice.
      redirectOutput: false,
    }),
    notListening: (installed, port, container) =>
      installed === false
        ? {
            message: `The developer copy's image has no debugpy: "python -c 'import debugpy'" fails in container "${container}", so the program runs without a debugger`,
            hint: 'Add debugpy to the image (pip install debugpy, or Debian\'s python3-debugpy), or set "devImage" in .vscode/devlane.json to an image that has it, then take the service over again. Nothing in the cluster was changed.',
          }
        : {
            message: `Nothing listens on 127.0.0.1:${port} in container "${container}" of the developer copy: debugpy did not start${installed ? ' (it is installed)' : ''}`,
            hint: 'Look at the copy\'s log (Stream Logs) for why the program or debugpy exited; the copy runs "python -m debugpy --listen 127.0.0.1:5678 <your program>".',
          },
  },
  go: {
    attach: 'dap-server',
    relay: 'delve',
    debuggerName: 'Delve',
    config: ({ localRoot, remoteRoot }) => ({
      // Delve's headless server already runs the program: DAP clients join it in mode "remote".
      mode: 'remote',
      // Delve names the files as the binary does (built in the container); breakpoints name local files.
      substitutePath: [{ from: localRoot, to: remoteRoot }],
      // The program is already running: it does not stop when the editor attaches.
      stopOnEntry: false,
    }),
    notListening: (installed, port, container) =>
      installed === false
        ? {
            message: `The developer copy's image has no dlv (Delve) on its PATH in container "${container}", so the program runs without a debugger`,
            hint: 'Set "devImage" in .vscode/devlane.json to a Go toolchain image with Delve (go install github.com/go-delve/delve/cmd/dlv@v1.27.2), then take the service over again. Nothing in the cluster was changed.',
          }
        : {
            message: `Nothing listens on 127.0.0.1:${port} in container "${container}" of the developer copy: Delve did not start, or the program is not running${installed ? ' (dlv is installed)' : ''}`,
            hint: `Look at the copy's log (Stream Logs) for why the program or dlv exited (a failed build, a binary that is not there yet); the copy runs "dlv exec --headless --listen=127.0.0.1:${port} --accept-multiclient --continue <your binary>". A save that builds and restarts the program starts it again.`,
          },
  },
};

/** `c:/Users/a/app` back to `c:\Users\a\app` on Windows (the debuggers compare native paths); unchanged elsewhere. */
export function toNativePath(path: string, platform: Platform): string {
  if (platform !== 'win32') return path;
  const p = toSlashes(path, platform);
  return p.startsWith('//') ? `\\\\${p.slice(2).replace(/\//g, '\\')}` : p.replace(/\//g, '\\');
}

/** A remote root without a trailing slash (but `/` stays `/`): both debuggers join relative paths to it. */
export function normalizeRemoteRoot(path: string): string {
  const p = path.replace(/\/+$/, '');
  return p === '' ? '/' : p;
}
