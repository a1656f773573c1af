// Start / Stop Sync for a service of a session: the mapping comes from .vscode/devlane.json (its
// errors name the field), saves come from the editor, and the status (last sync, pending,
// failures) is shown in a status bar item until the Sessions UI shows it.
import * as vscode from 'vscode';
import type { Clusters } from '../../cluster/api';
import { commands } from '../../core/contributions';
import { Emitter } from '../../core/events';
import { Disposable, toDisposable } from '../../core/lifecycle';
import type { Logger } from '../../core/logger';
import { type ServiceSyncHandle, startServiceSync } from '../../sync/service-sync';
import type { SyncStatus } from '../../sync/syncer';
import type { MementoPrefs } from '../prefs';
import { registerCommand, showError, toAbortSignal } from '../vscode-utils';

export interface SyncCommandDeps {
  clusters: Clusters;
  prefs: MementoPrefs;
  logger: Logger;
}

/** A session's service, as a Sessions row or a caller passes it. */
export interface SyncTargetArg {
  context?: string;
  namespace?: string;
  session?: string;
  service?: string;
}

export class SyncCommands extends Disposable {
  private readonly running = new Map<string, ServiceSyncHandle>();
  private readonly saves = this._register(new Emitter<string>());
  private readonly bar = this._register(vscode.window.createStatusBarItem('devlane.sync', vscode.StatusBarAlignment.Left, 50));

  constructor(private readonly deps: SyncCommandDeps) {
    super();
    this._register(vscode.workspace.onDidSaveTextDocument((doc) => doc.uri.scheme === 'file' && this.saves.fire(doc.uri.fsPath)));
    this._register(registerCommand(commands.startSync, ((a?: SyncTargetArg) => this.start(a)) as (...args: never[]) => unknown, deps.logger));
    this._register(registerCommand(commands.stopSync, ((a?: SyncTargetArg) => this.stop(a)) as (...args: never[]) => unknown, deps.logger));
    this._register(toDisposable(() => {
      for (const h of this.running.values()) h.dispose();
      this.running.clear();
    }));
  }

  private async ask(a: SyncTargetArg | undefined): Promise<Required<SyncTargetArg> | undefined> {
    const context = a?.context ?? this.deps.prefs.activeContext() ?? this.deps.clusters.kubeconfig.currentContext;
    if (!context) return undefined;
    const namespace = a?.namespace ?? this.deps.prefs.defaultNamespace(context) ?? 'default';
    const session = a?.session ?? (await vscode.window.showInputBox({ prompt: 'Session to sync into', ignoreFocusOut: true }));
    const service = session && (a?.service ?? (await vscode.window.showInputBox({ prompt: `Service of session ${session} to sync`, ignoreFocusOut: true })));
    return session && service ? { context, namespace, session, service } : undefined;
  }

  private async start(a?: SyncTargetArg): Promise<void> {
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder) return void vscode.window.showErrorMessage('Devlane syncs a workspace folder: open the folder that holds the service\'s source first.');
    const t = await this.ask(a);
    if (!t) return;
    const key = `${t.context}/${t.namespace}/${t.session}/${t.service}`;
    if (this.running.has(key)) return;
    try {
      const handle = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Devlane: first sync of ${t.service} (session ${t.session})`, cancellable: true },
        (_p, token) =>
          startServiceSync({ api: this.deps.clusters.connection(t.context).objects, namespace: t.namespace, session: t.session, service: t.service, workspaceFolder: folder.uri.fsPath, logger: this.deps.logger, onDidSave: this.saves.event }, toAbortSignal(token)),
      );
      this.running.set(key, handle);
      handle.syncer.onDidChangeStatus((s) => this.show(t.service, s));
      this.show(t.service, handle.syncer.current);
    } catch (e) {
      showError(e, this.deps.logger);
    }
  }

  private async stop(a?: SyncTargetArg): Promise<void> {
    const keys = [...this.running.keys()].filter((k) => !a?.service || k.endsWith(`/${a.service}`));
    const key = keys.length === 1 ? keys[0] : await vscode.window.showQuickPick(keys, { placeHolder: 'Stop syncing' });
    if (!key) return;
    this.running.get(key)?.dispose();
    this.running.delete(key);
    if (this.running.size === 0) this.bar.hide();
  }

  private show(service: string, s: SyncStatus): void {
    const icon = s.state === 'error' ? '$(error)' : s.state === 'reconnecting' ? '$(debug-disconnect)' : s.state === 'idle' ? '$(check)' : '$(sync~spin)';
    this.bar.text = `${icon} ${service}${s.pending ? ` ${s.pending}` : ''}`;
    this.bar.backgroundColor = s.state === 'error' || s.failures.length ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    const last = s.lastSyncAt ? `last sync ${new Date(s.lastSyncAt).toLocaleTimeString()} (${s.lastDurationMs} ms)` : 'not synced yet';
    const md = new vscode.MarkdownString(`**Devlane sync: ${service}** — ${s.state}${s.message ? `: ${s.message}` : ''}\n\n${last}; ${s.pending} pending\n\n${s.failures.slice(-5).map((f) => `- ${f.message}`).join('\n')}\n\n[Stop Sync](command:${commands.stopSync})`);
    md.isTrusted = { enabledCommands: [commands.stopSync] };
    this.bar.tooltip = md;
    this.bar.show();
  }
}
