// Connects a `devlane` debug session to the developer copy: opens the debug tunnel (a port-forward
// to the debugger inside the pod, see src/debug/tunnel.ts) for that session and closes it when the
// session ends, whatever ends it (Stop, the program exiting, the window closing).
// - Python (debugpy speaks DAP): the session's adapter IS the tunnel, a DebugAdapterServer on its
//   local port; the attach request already carries pathMappings (provider.ts).
// - Go (Delve's headless server speaks DAP too): the same, through DelveRelayAdapter, so that
//   leaving the session leaves the program running (relay-adapter.ts); substitutePath is in the attach.
// - Node (the V8 inspector): the session's adapter is ChildSessionAdapter, in-process, which starts
//   js-debug (`pwa-node` attach on the tunnel's port) as its child. The tunnel still belongs to the
//   parent `devlane` session, so a js-debug re-attach after a sync restart (restart: true) goes
//   through the same tunnel, and stopping the parent closes both.
import * as vscode from 'vscode';
import type { Clusters } from '../../cluster/api';
import { Disposable, toDisposable } from '../../core/lifecycle';
import type { Logger } from '../../core/logger';
import { type DebugPlan, openDebugTunnel, prepareDebug } from '../../debug/debug-copy';
import { childSessionName } from '../../debug/launch-configs';
import type { DebugTunnel } from '../../debug/tunnel';
import { ChildSessionAdapter } from './child-session';
import { DelveRelayAdapter } from './relay-adapter';
import { type DebugPlans, type DevlaneDebugConfiguration, type ResolvedTarget, debugType } from './provider';

export interface OpenDebugSession {
  readonly session: vscode.DebugSession;
  readonly target: ResolvedTarget;
  readonly plan: DebugPlan;
  readonly tunnel: DebugTunnel;
}

export class DevlaneAdapterFactory extends Disposable implements vscode.DebugAdapterDescriptorFactory {
  private readonly open = new Map<string, OpenDebugSession>();
  private readonly ended = this._register(new vscode.EventEmitter<OpenDebugSession>());
  /** A devlane session ended and its tunnel was closed. */
  readonly onDidEnd = this.ended.event;

  constructor(
    private readonly clusters: Clusters,
    private readonly plans: DebugPlans,
    private readonly logger: Logger,
  ) {
    super();
    this._register(vscode.debug.onDidTerminateDebugSession((s) => this.close(s)));
    this._register(
      toDisposable(() => {
        for (const o of this.open.values()) o.tunnel.dispose();
        this.open.clear();
      }),
    );
  }

  /** The devlane session `session` belongs to (itself, or an ancestor for js-debug's sessions). */
  owner(session: vscode.DebugSession | undefined): OpenDebugSession | undefined {
    for (let s = session; s; s = s.parentSession) if (s.type === debugType) return this.open.get(s.id);
    return undefined;
  }

  async createDebugAdapterDescriptor(session: vscode.DebugSession): Promise<vscode.DebugAdapterDescriptor> {
    const config = session.configuration as DevlaneDebugConfiguration;
    const entry = this.plans.get(config.__devlanePlan) ?? (await this.prepareAgain(config, session));
    const conn = this.clusters.connection(entry.target.context);
    const tunnel = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Window,
        title: `Devlane: connecting to ${entry.plan.adapter.debuggerName} in ${entry.plan.target.pod}`,
      },
      () => openDebugTunnel(conn, entry.plan, this.logger),
    );
    const open: OpenDebugSession = { session, target: entry.target, plan: entry.plan, tunnel };
    this.open.set(session.id, open);
    if (entry.plan.adapter.attach === 'dap-server')
      return entry.plan.adapter.relay === 'delve'
        ? new vscode.DebugAdapterInlineImplementation(new DelveRelayAdapter(tunnel.port))
        : new vscode.DebugAdapterServer(tunnel.port, '127.0.0.1');
    const name = childSessionName(session.name, entry.plan.adapter.debuggerName);
    const childConfig = entry.plan.adapter.config({
      ...entry.plan.mapping,
      port: tunnel.port,
      name,
    }) as vscode.DebugConfiguration;
    return new vscode.DebugAdapterInlineImplementation(new ChildSessionAdapter(session, childConfig));
  }

  /** A restarted session reuses its resolved configuration: find the copy again (it may be a new pod). */
  private async prepareAgain(config: DevlaneDebugConfiguration, session: vscode.DebugSession) {
    const target = {
      context: config.context!,
      namespace: config.namespace!,
      session: config.session!,
      service: config.service!,
    };
    const folder = localFolder(session);
    const plan = await prepareDebug(
      {
        api: this.clusters.connection(target.context).objects,
        copy: target,
        workspaceFolder: folder,
        logger: this.logger,
      },
      new AbortController().signal,
    );
    return { plan, target, folder };
  }

  private close(session: vscode.DebugSession): void {
    const o = this.open.get(session.id);
    if (!o) return;
    this.open.delete(session.id);
    o.tunnel.dispose();
    this.plans.delete((session.configuration as DevlaneDebugConfiguration).__devlanePlan);
    this.logger.info(
      `debug session for ${o.target.service} (session ${o.target.session}) ended; tunnel on 127.0.0.1:${o.tunnel.port} closed`,
    );
    this.ended.fire(o);
  }
}

/** The folder a debug session's paths are mapped from: its own, else the window's first, else the process's. */
export function localFolder(session: vscode.DebugSession): string {
  return session.workspaceFolder?.uri.fsPath ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? process.cwd();
}
