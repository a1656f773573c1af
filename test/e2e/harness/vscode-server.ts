// Runs an in-editor test suite (a module exporting `run()`, loaded by the extension host) in the
// plain VS Code server that code-server carries. With `--enable-smoke-test-driver`, the built
// workbench honours the `payload` query, which passes extensionDevelopmentPath and
// extensionTestsPath to the remote extension host; that host loads the extension from source and
// calls `run()`. The workbench then reports the suite's status by calling
// `window.codeAutomationExit(code)`, which this page provides. (The server log's "Extension Host
// Process exited with code: N" is the host being shut down afterwards: 0 even when tests failed.)
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, offlineEnv, quietSettings, waitForHttp } from './code-server';
import { spawnGroup } from './processes';
import { node24Env, type Tools } from './tools';
import { launchBrowser } from './browser';

export interface InEditorRunOptions {
  tools: Tools;
  /** The extension folder (its package.json `main` must be built). */
  extensionPath: string;
  /** The built module exporting `run()`. */
  testsPath: string;
  workspace: string;
  kubeconfig?: string;
  /** Extra environment for the extension host (it inherits the server's). */
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  say?: (line: string) => void;
}

export interface InEditorResult {
  /** The suite's status as the workbench reported it: 0 when every test passed. */
  exitCode: number;
  /** The server's log, kept until `cleanup()`. */
  log: string;
}

const hostExit = /Extension Host Process exited with code: (-?\d+)/;

export async function runInEditorTests(o: InEditorRunOptions): Promise<InEditorResult> {
  const dir = mkdtempSync('/tmp/devlane-vscode-server-');
  const userDataDir = join(dir, 'user-data');
  const logFile = join(dir, 'server.log');
  // The extension host is remote: `devlane.kubeconfig` (machine-overridable) is read from the
  // Machine settings; the workbench's own settings from User.
  for (const scope of ['User', 'Machine']) {
    mkdirSync(join(userDataDir, scope), { recursive: true });
    writeFileSync(join(userDataDir, scope, 'settings.json'), JSON.stringify(quietSettings(o.kubeconfig), null, 2));
  }
  const port = await freePort();
  const server = spawnGroup(
    'vscode-server',
    o.tools.node,
    [
      o.tools.vscodeServerMain,
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--without-connection-token',
      '--accept-server-license-terms',
      '--enable-smoke-test-driver',
      '--disable-telemetry',
      '--server-data-dir',
      join(dir, 'server-data'),
      '--user-data-dir',
      userDataDir,
      '--extensions-dir',
      join(dir, 'extensions'),
    ],
    { env: { ...node24Env(), ...offlineEnv(), ...o.env }, logFile },
  );
  const browser = await launchBrowser(o.tools);
  const timeoutMs = o.timeoutMs ?? 180_000;
  try {
    await waitForHttp(`http://127.0.0.1:${port}/version`, server, logFile);
    const remote = (path: string) => `vscode-remote://127.0.0.1:${port}${path}`;
    const payload = JSON.stringify([
      ['extensionDevelopmentPath', remote(o.extensionPath)],
      ['extensionTestsPath', remote(o.testsPath)],
    ]);
    const url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(o.workspace)}&payload=${encodeURIComponent(payload)}`;
    o.say?.(`VS Code server on 127.0.0.1:${port} (pid ${server.pid}); opening the workbench with the test payload`);
    const page = await browser.newPage();
    let reported: ((code: number) => void) | undefined;
    const status = new Promise<number>((resolve) => (reported = resolve));
    await page.exposeFunction('codeAutomationExit', (code: number) => reported!(Number(code)));
    await page.goto(url);
    const deadline = Date.now() + timeoutMs;
    let code: number | undefined;
    void status.then((c) => (code = c));
    while (code === undefined) {
      const crashed = hostExit.exec(readFileSync(logFile, 'utf8'));
      if (crashed && Number(crashed[1]) !== 0)
        throw new Error(
          `the extension host exited with ${crashed[1]} before the suite reported; server log:\n${readFileSync(logFile, 'utf8').slice(-4000)}`,
        );
      if (Date.now() > deadline)
        throw new Error(
          `the in-editor suite did not report within ${timeoutMs / 1000} s; server log:\n${readFileSync(logFile, 'utf8').slice(-4000)}`,
        );
      await new Promise((r) => setTimeout(r, 200));
    }
    return { exitCode: code, log: readFileSync(logFile, 'utf8') };
  } finally {
    await browser.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
