// One person's real VS Code for a test file: code-server with the packaged extension and a
// workspace, and a Chromium page on it. `close()` ends every process it started, by PID.
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, newWorkbenchPage } from './browser';
import { startCodeServer, type CodeServer } from './code-server';
import { REPO, RESULTS_DIR, VSIX } from './paths';
import type { Tools } from './tools';
import { Workbench } from './workbench';

export interface EditorSessionOptions {
  /** Names the server log kept in test-results/e2e/ after close. */
  name: string;
  tools: Tools;
  kubeconfig: string;
  /** Copied into a fresh workspace folder; the demo shop's source by default. */
  workspaceFrom?: string;
  /** More user settings for this profile (on top of testSettings). */
  settings?: Record<string, unknown>;
  say?: (line: string) => void;
}

/**
 * What the suite's profile sets on top of quietSettings(): screen reader support on, so that the
 * terminal keeps an accessibility tree of its rows (otherwise it is drawn on a canvas that a test,
 * like a screen reader, cannot read); no automatic forwarding of the ports the extension host opens
 * (its notifications would cover the ones a step waits for).
 */
export const testSettings: Record<string, unknown> = {
  'editor.accessibilitySupport': 'on',
  'remote.autoForwardPorts': false,
};

export class EditorSession {
  private constructor(
    readonly server: CodeServer,
    readonly browser: Browser,
    readonly workspace: string,
    private readonly tmp: string,
    private readonly name: string,
  ) {}

  static async start(o: EditorSessionOptions): Promise<EditorSession> {
    const tmp = mkdtempSync('/tmp/devlane-e2e-');
    const workspace = join(tmp, 'workspace');
    mkdirSync(workspace);
    cpSync(o.workspaceFrom ?? join(REPO, 'sandbox/demo/src'), workspace, { recursive: true });
    const server = await startCodeServer({
      tools: o.tools,
      vsix: VSIX,
      workspace,
      kubeconfig: o.kubeconfig,
      stateDir: join(tmp, 'code-server'),
      settings: { ...testSettings, ...o.settings },
      say: o.say,
    });
    try {
      const browser = await launchBrowser(o.tools);
      return new EditorSession(server, browser, workspace, tmp, o.name);
    } catch (err) {
      await server.stop();
      throw err;
    }
  }

  /** A new browser context (another person, with their own page) on the same workbench URL. */
  async openWorkbench(): Promise<Workbench> {
    const page: Page = await newWorkbenchPage(this.browser);
    const wb = new Workbench(page);
    await wb.open(this.server.url);
    return wb;
  }

  async close(): Promise<void> {
    try {
      await this.browser.close();
    } finally {
      await this.server.stop();
      mkdirSync(RESULTS_DIR, { recursive: true });
      if (existsSync(this.server.logFile))
        copyFileSync(this.server.logFile, join(RESULTS_DIR, `${this.name}-code-server.log`));
      rmSync(this.tmp, { recursive: true, force: true });
    }
  }
}
