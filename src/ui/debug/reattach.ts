// A Python or Go copy's debugger goes away with its process. debugpy runs inside the program, and
// the supervisor restarts Delve with the program (a new binary after a build), so when a sync
// restarts the program (or the copy's pod is replaced), the connection ends, and so does the
// editor's `devlane` session. js-debug re-attaches to Node by itself (restart: true). For debugpy
// and Delve, Devlane starts the same configuration again as soon as the new debugger answers. The
// breakpoints are the editor's, so they bind again.
//
// It does so only when the session ended by itself: the adapter said terminated/exited, or the
// connection dropped, before the editor asked to disconnect. A Stop (the toolbar, Shift+F5) asks
// first, and is final.
import * as vscode from 'vscode';
import type { Clusters } from '../../cluster/api';
import { sleep } from '../../core/backoff';
import { Disposable, toDisposable } from '../../core/lifecycle';
import type { Logger } from '../../core/logger';
import { openDebugTunnel, prepareDebug } from '../../debug/debug-copy';
import { DebugError } from '../../debug/errors';
import { type DevlaneAdapterFactory, localFolder, type OpenDebugSession } from './factory';
import { debugType, type DevlaneDebugConfiguration } from './provider';

/** How long the new process may take to listen again. */
const comeBackMs = 60_000;
/** With no running copy for this long, the session was stopped or the copy removed: nothing to re-attach to. */
const goneMs = 10_000;

export class DebugReattach extends Disposable {
  /** Sessions the editor asked to end (disconnect or terminate) before the adapter ended them. */
  private readonly stopAsked = new Set<string>();
  private readonly controller = new AbortController();

  constructor(
    factory: DevlaneAdapterFactory,
    private readonly clusters: Clusters,
    private readonly logger: Logger,
  ) {
    super();
    this._register(toDisposable(() => this.controller.abort()));
    this._register(
      vscode.debug.registerDebugAdapterTrackerFactory(debugType, {
        createDebugAdapterTracker: (s) => this.tracker(factory, s),
      }),
    );
    this._register(
      factory.onDidEnd((o) => {
        const asked = this.stopAsked.delete(o.session.id);
        if (!asked && o.plan.adapter.attach === 'dap-server' && !this.controller.signal.aborted) void this.reattach(o);
      }),
    );
  }

  private tracker(
    factory: DevlaneAdapterFactory,
    session: vscode.DebugSession,
  ): vscode.DebugAdapterTracker | undefined {
    const owner = factory.owner(session);
    if (!owner || owner.plan.adapter.attach !== 'dap-server') return undefined;
    let adapterEnded = false;
    const ended = () => (adapterEnded = true);
    return {
      /* eslint-disable @typescript-eslint/no-explicit-any -- DAP messages are plain JSON */
      onWillReceiveMessage: (m: any) => {
        if (m.type === 'request' && (m.command === 'disconnect' || m.command === 'terminate') && !adapterEnded)
          this.stopAsked.add(session.id);
      },
      onDidSendMessage: (m: any) => {
        if (m.type === 'event' && (m.event === 'terminated' || m.event === 'exited')) ended();
      },
      /* eslint-enable @typescript-eslint/no-explicit-any */
      onError: ended,
      onExit: ended,
    };
  }

  private async reattach(o: OpenDebugSession): Promise<void> {
    const signal = this.controller.signal;
    const { service, session } = o.target;
    const conn = this.clusters.connection(o.target.context);
    const folder = o.session.workspaceFolder;
    const folderPath = localFolder(o.session);
    this.logger.info(
      `debug ${service} (session ${session}): the debugger's connection ended by itself (the program restarted, or its pod was replaced); attaching again once it listens`,
    );
    const started = Date.now();
    let goneSince: number | undefined;
    try {
      while (Date.now() - started < comeBackMs) {
        await sleep(1_000, signal);
        try {
          const plan = await prepareDebug(
            { api: conn.objects, copy: o.target, workspaceFolder: folderPath, logger: this.logger },
            signal,
          );
          goneSince = undefined;
          const tunnel = await openDebugTunnel(conn, plan, this.logger, { probeTimeoutMs: 3_000 }, signal);
          tunnel.dispose();
        } catch (err) {
          if (signal.aborted) return;
          if (err instanceof DebugError && err.code === 'no-copy') {
            goneSince ??= Date.now();
            if (Date.now() - goneSince >= goneMs) {
              this.logger.info(`debug ${service} (session ${session}): no running copy any more; not attaching again`);
              return;
            }
          }
          continue;
        }
        const { __devlanePlan: _used, ...config } = o.session.configuration as DevlaneDebugConfiguration;
        const ok = await vscode.debug.startDebugging(folder, config);
        this.logger.info(
          `debug ${service} (session ${session}): ${ok ? 'attached again' : 'the editor did not start the debug session again'}`,
        );
        return;
      }
      void vscode.window.showWarningMessage(
        `The debugger left ${service} (session ${session}) when its program restarted, and ${o.plan.adapter.debuggerName} did not answer again within ${comeBackMs / 1000} s. Look at the copy's logs for why it did not start; debug it again once it runs.`,
      );
    } catch (err) {
      if (!signal.aborted) this.logger.warn(`debug ${service}: attaching again failed: ${(err as Error).message}`);
    }
  }
}
