// Hot sync in the editor: the syncs of this window's sessions, each kept until its session ends
// here or Stop Sync. Develop This Service (src/session/develop.ts) starts a copy's sync and hands it
// here; Start Sync does the same by hand (src/sync/copy-sync.ts). Saves come from the editor, other
// changes from the file watcher; progress goes to the activity board, which the status bar and
// the session panel show, and a copy in trouble to the CopyTroubleView.
import * as vscode from 'vscode';
import type { Clusters } from '../../cluster/api';
import { commands } from '../../core/contributions';
import { Emitter, type Event } from '../../core/events';
import { Disposable, toDisposable } from '../../core/lifecycle';
import type { Logger } from '../../core/logger';
import { ConfigError } from '../../core/sync/config';
import type { DeletePreview } from '../../core/sync/deletes';
import type { ActivityReporter } from '../../sessionview/activity';
import type { ActiveSessions } from '../../sessionview/active';
import { type SessionRef, sessionKey } from '../../sessionview/refs';
import { type CopySync, type CopySyncSinks, syncCopy } from '../../sync/copy-sync';
import type { SyncTarget } from '../command-args';
import { registerCommand, showError, toAbortSignal } from '../vscode-utils';
import type { CopyTroubleView } from './copy-trouble';
import { confirmDeletes } from './questions';

export interface SyncCommandDeps {
  clusters: Clusters;
  logger: Logger;
  active: ActiveSessions;
  activity: ActivityReporter;
  /** Says when a synced copy's program exits by itself (status bar, notification, Problems). */
  troubles?: CopyTroubleView;
}

export class SyncCommands extends Disposable {
  private readonly running = new Map<string, CopySync>();
  private readonly saves = this._register(new Emitter<string>());
  /** Ends a first sync still under way when the window closes. */
  private readonly disposing = new AbortController();

  constructor(private readonly deps: SyncCommandDeps) {
    super();
    this._register(
      vscode.workspace.onDidSaveTextDocument((doc) => doc.uri.scheme === 'file' && this.saves.fire(doc.uri.fsPath)),
    );
    this._register(registerCommand(commands.startSync, (a) => this.startByHand(a), deps.logger));
    this._register(registerCommand(commands.stopSync, (a) => this.stopByHand(a), deps.logger));
    this._register(
      toDisposable(() => {
        this.disposing.abort();
        for (const h of this.running.values()) h.dispose();
        this.running.clear();
      }),
    );
  }

  /** The workspace folder that is synced, if one is open. */
  folder(): vscode.WorkspaceFolder | undefined {
    return vscode.workspace.workspaceFolders?.[0];
  }

  /** Saved documents, synced at once. */
  get onDidSave(): Event<string> {
    return this.saves.event;
  }

  /** This service of the session is synced (or its first sync is under way) in this window. */
  synced(ref: SessionRef, service: string): boolean {
    return this.running.has(`${sessionKey(ref)}/${service}`);
  }

  /** Where a copy's sync reports in the editor: the activity board, an error message, the copy's trouble. */
  sinks(ref: SessionRef, service: string): CopySyncSinks {
    const troubles = this.deps.troubles;
    return {
      status: (stats) => this.deps.activity.reportSync(ref, stats),
      failed: (err) =>
        showError(
          err instanceof ConfigError ? err : new Error(`Sync of ${service} did not start: ${err.message}`),
          this.deps.logger,
        ),
      trouble: troubles && ((trouble, source) => troubles.show(ref, service, trouble, source)),
    };
  }

  /** Keeps a copy's sync until the session ends here, or Stop Sync. */
  keep(ref: SessionRef, service: string, sync: CopySync): void {
    const key = `${sessionKey(ref)}/${service}`;
    this.running.set(key, sync);
    const forget = () => {
      if (this.running.get(key) === sync) this.running.delete(key);
    };
    void sync.ready.then((handle) => handle || forget());
    this.deps.active.own(ref, {
      dispose: () => {
        sync.dispose();
        forget();
        this.deps.activity.forgetService(ref, service, 'sync');
      },
    });
  }

  /** Syncs the service's live copy until the session ends here (or Stop Sync). Failures are shown, not thrown. */
  private async startFor(ref: SessionRef, service: string): Promise<void> {
    const workspace = this.folder()?.uri.fsPath;
    if (!workspace || this.synced(ref, service)) return;
    const conn = this.deps.clusters.connection(ref.context);
    const request = {
      conn,
      namespace: ref.namespace,
      session: ref.session,
      service,
      workspace,
      logger: this.deps.logger,
      onDidSave: this.saves.event,
      confirmDeletes: (p: DeletePreview) => confirmDeletes(service, p),
    };
    const sync = syncCopy(request, this.sinks(ref, service), this.disposing.signal);
    this.keep(ref, service, sync);
    await sync.ready;
  }

  private async startByHand(a?: SyncTarget): Promise<void> {
    if (!this.folder())
      return void vscode.window.showErrorMessage(
        "Devlane syncs a workspace folder: open the folder that holds the service's source first.",
      );
    const ref = await this.pickSession(a);
    if (!ref) return;
    const live = this.deps.active.get(ref);
    if (!live)
      return void vscode.window.showErrorMessage(
        `You are not in session ${ref.session} in this window: join it (or start it) first; sync runs while you are in the session.`,
      );
    const service =
      a?.service ??
      (await vscode.window.showInputBox({ prompt: `Service of session ${ref.session} to sync`, ignoreFocusOut: true }));
    if (!service) return;
    await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `Devlane: first sync of ${service} (session ${ref.session})`,
        cancellable: true,
      },
      async (_p, token) => {
        const signal = toAbortSignal(token);
        const started = this.startFor(ref, service);
        signal.addEventListener('abort', () => this.stopKey(`${sessionKey(ref)}/${service}`), { once: true });
        await started;
      },
    );
  }

  private async pickSession(a?: SyncTarget): Promise<SessionRef | undefined> {
    if (a?.context && a.namespace && a.session)
      return { context: a.context, namespace: a.namespace, session: a.session };
    const active = this.deps.active.list();
    if (active.length === 1) return active[0].ref;
    const pick = await vscode.window.showQuickPick(
      active.map((s) => ({ label: s.ref.session, description: `${s.ref.context} / ${s.ref.namespace}`, ref: s.ref })),
      { placeHolder: 'Session to sync into' },
    );
    return pick?.ref;
  }

  private stopKey(key: string): void {
    this.running.get(key)?.dispose();
    this.running.delete(key);
  }

  private async stopByHand(a?: SyncTarget): Promise<void> {
    const keys = [...this.running.keys()].filter((k) => !a?.service || k.endsWith(`/${a.service}`));
    const key = keys.length === 1 ? keys[0] : await vscode.window.showQuickPick(keys, { placeHolder: 'Stop syncing' });
    if (!key) return;
    this.stopKey(key);
    for (const s of this.deps.active.list()) {
      const prefix = `${sessionKey(s.ref)}/`;
      if (key.startsWith(prefix)) this.deps.activity.forgetService(s.ref, key.slice(prefix.length), 'sync');
    }
  }
}
