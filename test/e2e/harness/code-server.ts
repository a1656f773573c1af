// Starts code-server on 127.0.0.1 with a profile of its own: a fresh user-data-dir and
// extensions-dir, the packaged .vsix installed, telemetry and the chat/agent features off,
// `devlane.kubeconfig` set, and one workspace folder open.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { spawnGroup, type Spawned } from './processes';
import { node24Env, type Tools } from './tools';

/**
 * Settings for a profile nobody has used: nothing opens by itself, nothing phones home, and
 * the AI features (chat, agent host, Copilot) are off so that they neither start processes nor
 * put panels and notifications in the way of what a test looks at.
 */
export function quietSettings(kubeconfig: string | undefined): Record<string, unknown> {
  return {
    'telemetry.telemetryLevel': 'off',
    'chat.disableAIFeatures': true,
    'chat.agent.enabled': false,
    'chat.commandCenter.enabled': false,
    'workbench.startupEditor': 'none',
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
    'workbench.tips.enabled': false,
    'workbench.welcomePage.walkthroughs.openOnInstall': false,
    'workbench.enableExperiments': false,
    'security.workspace.trust.enabled': false,
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'extensions.ignoreRecommendations': true,
    'update.mode': 'none',
    'git.openRepositoryInParentFolders': 'never',
    // code-server's web build saves after every pause in typing; VS Code desktop does not. A save
    // is what syncs a change into the copy and restarts it, so it stays the person's choice.
    'files.autoSave': 'off',
    ...(kubeconfig ? { 'devlane.kubeconfig': kubeconfig } : {}),
  };
}

/**
 * Environment for code-server and the VS Code server: the extension gallery (open-vsx.org by
 * default) points at a closed port on 127.0.0.1, so that nothing leaves the machine.
 */
export function offlineEnv(): NodeJS.ProcessEnv {
  const closed = 'http://127.0.0.1:9';
  return {
    EXTENSIONS_GALLERY: JSON.stringify({
      serviceUrl: `${closed}/gallery`,
      itemUrl: `${closed}/item`,
      resourceUrlTemplate: `${closed}/{publisher}/{name}/{version}/{path}`,
    }),
  };
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** Polls `url` until it answers (any HTTP status below 500), the process exits, or time runs out. */
export async function waitForHttp(url: string, proc: Spawned, logFile: string, timeoutMs = 60_000): Promise<void> {
  let exited: number | undefined;
  void proc.exited.then((c) => (exited = c));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited !== undefined)
      throw new Error(`${proc.name} exited (${exited}) before it answered at ${url}; see ${logFile}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (res.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${proc.name} did not answer at ${url} within ${timeoutMs / 1000} s; see ${logFile}`);
}

export interface CodeServerOptions {
  tools: Tools;
  /** The packaged extension to install. */
  vsix: string;
  /** The folder the workbench opens. */
  workspace: string;
  /** Written to `devlane.kubeconfig` in the profile's settings. */
  kubeconfig?: string;
  /** A fresh folder for the profile, extensions and log; a temporary one when omitted. */
  stateDir?: string;
  /** Fixed port (the demo); a free one when omitted. */
  port?: number;
  /** More user settings, on top of quietSettings() (the e2e suite's screen reader mode). */
  settings?: Record<string, unknown>;
  say?: (line: string) => void;
}

export interface CodeServer {
  /** The workbench with the workspace open. */
  url: string;
  port: number;
  stateDir: string;
  logFile: string;
  process: Spawned;
  stop(): Promise<void>;
}

export async function startCodeServer(o: CodeServerOptions): Promise<CodeServer> {
  const stateDir = o.stateDir ?? mkdtempSync('/tmp/devlane-code-server-');
  const userDataDir = join(stateDir, 'user-data');
  const extensionsDir = join(stateDir, 'extensions');
  const logFile = join(stateDir, 'code-server.log');
  mkdirSync(extensionsDir, { recursive: true });
  // The extension host is a remote one: settings scoped to the machine (`devlane.kubeconfig`)
  // are read from the Machine settings, the rest from the User settings.
  for (const scope of ['User', 'Machine']) {
    mkdirSync(join(userDataDir, scope), { recursive: true });
    writeFileSync(
      join(userDataDir, scope, 'settings.json'),
      JSON.stringify({ ...quietSettings(o.kubeconfig), ...o.settings }, null, 2),
    );
  }
  // code-server keeps its config.yaml under XDG_CONFIG_HOME: keep it in the state folder too.
  const env = {
    ...node24Env(),
    ...offlineEnv(),
    XDG_CONFIG_HOME: join(stateDir, 'config'),
    XDG_DATA_HOME: join(stateDir, 'data'),
  };
  const common = [
    '--user-data-dir',
    userDataDir,
    '--extensions-dir',
    extensionsDir,
    '--disable-telemetry',
    '--disable-update-check',
  ];

  const install = spawnGroup(
    'code-server --install-extension',
    o.tools.node,
    [o.tools.codeServerEntry, ...common, '--force', '--install-extension', o.vsix],
    { env, logFile },
  );
  const installed = await install.exited;
  await install.stop();
  if (installed !== 0) throw new Error(`code-server could not install ${o.vsix} (exit ${installed}); see ${logFile}`);

  const port = o.port ?? (await freePort());
  const proc = spawnGroup(
    'code-server',
    o.tools.node,
    [
      o.tools.codeServerEntry,
      ...common,
      '--auth',
      'none',
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      o.workspace,
    ],
    { env, logFile },
  );
  try {
    await waitForHttp(`http://127.0.0.1:${port}/healthz`, proc, logFile);
  } catch (err) {
    await proc.stop();
    throw err;
  }
  o.say?.(
    `code-server ${o.tools.versions.codeServer} listening on 127.0.0.1:${port} (pid ${proc.pid}, log ${logFile})`,
  );
  return {
    url: `http://127.0.0.1:${port}/?folder=${encodeURIComponent(o.workspace)}`,
    port,
    stateDir,
    logFile,
    process: proc,
    // A temporary state folder is the server's own: it goes with it.
    stop: () =>
      proc.stop().finally(() => o.stateDir === undefined && rmSync(stateDir, { recursive: true, force: true })),
  };
}
