// The editor's entry points to routed sessions (issue 4): Develop This Service on a service row,
// Stop / Join / Leave from the command palette. The work happens in src/session/; here we only
// ask, confirm plans on production-looking contexts, show progress and allow cancelling.
// (The status bar, Sessions view and panel come with a later issue.)
import * as vscode from 'vscode';
import type { Clusters } from '../../cluster/api';
import { commands } from '../../core/contributions';
import { ClusterError } from '../../core/errors';
import { Disposable, toDisposable } from '../../core/lifecycle';
import type { Logger } from '../../core/logger';
import { defaultProductionGlobs } from '../../core/session/globs';
import { defaultSessionName } from '../../core/session/names';
import type { Plan } from '../../core/session/plan';
import type { ExplorerNode } from '../../explorer/nodes';
import type { Heartbeat } from '../../session/lease';
import { Sessions } from '../../session/sessions';
import type { MementoPrefs } from '../prefs';
import { readConfig, registerCommand, toAbortSignal } from '../vscode-utils';

export interface SessionCommandDeps {
  clusters: Clusters;
  prefs: MementoPrefs;
  logger: Logger;
}

export class SessionCommands extends Disposable {
  /** Leases this window renews, by `context/namespace/session`. Closing the window stops renewing
   *  (the Lease then expires and the session is collected unless someone resumes it). */
  private readonly heartbeats = new Map<string, Heartbeat>();

  constructor(private readonly deps: SessionCommandDeps) {
    super();
    const reg = (id: Parameters<typeof registerCommand>[0], fn: (node?: ExplorerNode) => unknown) => this._register(registerCommand(id, fn as (...args: never[]) => unknown, deps.logger));
    reg(commands.developService, (node) => this.develop(node));
    reg(commands.stopSession, () => this.pickAndRun('Stop', (s, name, signal) => s.stop(name, signal).then(() => this.forget(name))));
    reg(commands.joinSession, () => this.pickAndRun('Join', async (s, name, signal) => {
      const r = await s.join(name, signal);
      this.keep(s, name, r.heartbeat);
      await this.showKey(name, r.routeKey);
    }));
    reg(commands.leaveSession, () => this.pickAndRun('Leave', (s, name, signal) => s.leave(name, signal).then(() => this.forget(name))));
    this._register(toDisposable(() => {
      for (const hb of this.heartbeats.values()) hb.dispose();
      this.heartbeats.clear();
    }));
  }

  private where(node?: ExplorerNode): { context: string; namespace: string } {
    const context = node?.ref?.context ?? this.deps.prefs.activeContext() ?? this.deps.clusters.kubeconfig.currentContext;
    if (!context) throw new ClusterError('config', 'No Kubernetes context to work in', 'Add a context to your kubeconfig, or pick one in the Devlane view.');
    const namespace = node?.ref?.namespace ?? this.deps.prefs.defaultNamespace(context) ?? this.deps.clusters.connection(context).context.namespace;
    return { context, namespace };
  }

  private sessions(context: string, namespace: string, progress?: vscode.Progress<{ message?: string }>): Sessions {
    const conn = this.deps.clusters.connection(context);
    return new Sessions({
      api: conn.objects,
      context,
      namespace,
      participant: conn.context.user,
      logger: this.deps.logger,
      productionGlobs: readConfig('productionContexts') ?? defaultProductionGlobs,
      confirm: (plan, text) => confirmPlan(plan, text),
      report: (m) => progress?.report({ message: m }),
    });
  }

  private async develop(node?: ExplorerNode): Promise<void> {
    if (node?.kind !== 'service' || !node.ref) throw new ClusterError('config', 'Develop This Service acts on a service row of the Devlane view', 'Right-click a service there.');
    const { context, namespace } = this.where(node);
    const service = node.ref.name;
    const user = this.deps.clusters.connection(context).context.user;
    const session = await vscode.window.showInputBox({
      title: `Develop ${service}: session name`,
      value: defaultSessionName(user, service),
      prompt: 'Colleagues join the session by this name. Lower-case letters, digits and "-".',
    });
    if (!session) return;
    const strategySetting = readConfig('routing.strategy');
    const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Starting session ${session} on ${service}`, cancellable: true }, (progress, token) =>
      this.sessions(context, namespace, progress).start({ service, session, strategy: strategySetting && strategySetting !== 'auto' ? strategySetting : undefined }, toAbortSignal(token)),
    );
    this.keep(undefined, `${context}/${namespace}/${result.session}`, result.heartbeat);
    await this.showKey(result.session, result.routeKey, `${result.strategy}${result.resumed ? ', resumed' : ''}`);
  }

  private async pickAndRun(verb: string, run: (s: Sessions, name: string, signal: AbortSignal) => Promise<unknown>): Promise<void> {
    const { context, namespace } = this.where();
    const list = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Listing sessions' }, () => this.sessions(context, namespace).list(new AbortController().signal));
    if (list.length === 0) {
      void vscode.window.showInformationMessage(`No sessions in ${context} / ${namespace}.`);
      return;
    }
    const pick = await vscode.window.showQuickPick(
      list.map((s) => ({ label: s.name, description: s.services.map((x) => `${x.service} (${x.owner})`).join(', '), detail: `participants: ${s.participants.map((p) => `${p.name}${p.alive ? '' : ' (expired)'}`).join(', ')}` })),
      { title: `${verb} session in ${context} / ${namespace}` },
    );
    if (!pick) return;
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `${verb} session ${pick.label}`, cancellable: true }, (progress, token) =>
      run(this.sessions(context, namespace, progress), pick.label, toAbortSignal(token)),
    );
  }

  private keep(_s: Sessions | undefined, key: string, hb: Heartbeat): void {
    this.heartbeats.get(key)?.dispose();
    this.heartbeats.set(key, hb);
    hb.onDidLose(() => {
      void vscode.window.showWarningMessage(`Session ${key.split('/').pop()} was stopped or collected elsewhere.`);
      this.forget(key);
    });
  }

  private forget(nameOrKey: string): void {
    for (const [key, hb] of this.heartbeats) if (key === nameOrKey || key.endsWith(`/${nameOrKey}`)) {
      hb.dispose();
      this.heartbeats.delete(key);
    }
  }

  private async showKey(session: string, key: string, how?: string): Promise<void> {
    const copy = 'Copy Route Key';
    const choice = await vscode.window.showInformationMessage(`Session ${session} is live${how ? ` (${how})` : ''}. Requests with header x-devlane-route: <key> or baggage devlane=<key> reach your copy.`, copy);
    if (choice === copy) await vscode.env.clipboard.writeText(key);
  }
}

/** The confirm-plan dialog for production-looking contexts: modal, with the full plan as detail. */
async function confirmPlan(plan: Plan, text: string): Promise<boolean> {
  const apply = 'Apply Plan';
  const choice = await vscode.window.showWarningMessage(`Context "${plan.context}" looks like production. Apply this plan?`, { modal: true, detail: text }, apply);
  return choice === apply;
}
