// Hot sync in the editor, driven by sessions: when Develop This Service (or Take Over) starts a
// copy, `mappingFor` reads the service's mapping from .vscode/devlane.json, or proposes one and
// asks the user to confirm it (then stores it, so the next session and the CLI reuse it); once the
// copy is live, `startFor` syncs it until the session ends here. Saves come from the editor, other
// changes from the file watcher; progress is reported to the activity board, which the status bar
// and the session panel show. Start Sync / Stop Sync do the same by hand.
import * as vscode from 'vscode';
import type { Clusters } from '../../cluster/api';
import { commands } from '../../core/contributions';
import { Emitter } from '../../core/events';
import { Disposable, toDisposable } from '../../core/lifecycle';
import type { Logger } from '../../core/logger';
import { configFile, ConfigError, parseConfig, type ServiceSync, withService } from '../../core/sync/config';
import { type DeletePreview, describeDeletes } from '../../core/sync/deletes';
import { remotePathProblem } from '../../core/sync/remote-root';
import type { ActivityReporter, ServiceSyncStats } from '../../sessionview/activity';
import type { ActiveSessions } from '../../sessionview/active';
import { type SessionRef, sessionKey } from '../../sessionview/refs';
import { proposeFor } from '../../sync/propose';
import { type ServiceSyncHandle, startServiceSync } from '../../sync/service-sync';
import type { SyncStatus } from '../../sync/syncer';
import type { SyncTarget } from '../command-args';
import { registerCommand, showError, toAbortSignal } from '../vscode-utils';
import type { CopyTroubleView } from './copy-trouble';

export interface SyncCommandDeps {
  clusters: Clusters;
  logger: Logger;
  active: ActiveSessions;
  activity: ActivityReporter;
  /** Says when a synced copy's program exits by itself (status bar, notification, Problems). */
  troubles?: CopyTroubleView;
}

/** What the user chose for a service without a mapping: one to use, none (no sync), or cancel the start. */
export type MappingChoice = ServiceSync | 'no-sync' | 'cancel';

export class SyncCommands extends Disposable {
  private readonly running = new Map<string, ServiceSyncHandle>();
  private readonly saves = this._register(new Emitter<string>());

  constructor(private readonly deps: SyncCommandDeps) {
    super();
    this._register(vscode.workspace.onDidSaveTextDocument((doc) => doc.uri.scheme === 'file' && this.saves.fire(doc.uri.fsPath)));
    this._register(registerCommand(commands.startSync, (a) => this.startByHand(a), deps.logger));
    this._register(registerCommand(commands.stopSync, (a) => this.stopByHand(a), deps.logger));
    this._register(toDisposable(() => {
      for (const h of this.running.values()) h.dispose();
      this.running.clear();
    }));
  }

  private folder(): vscode.WorkspaceFolder | undefined {
    return vscode.workspace.workspaceFolders?.[0];
  }

  private async readConfigText(folder: vscode.WorkspaceFolder): Promise<string | undefined> {
    try {
      return new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(folder.uri, configFile)));
    } catch {
      return undefined;
    }
  }

  /**
   * The mapping a copy of `service` starts with. No workspace folder: no sync. A mapping in
   * .vscode/devlane.json: that one (an invalid file is an error naming the field, and nothing is
   * started). None: a proposal the user confirms, changes or declines.
   */
  async mappingFor(where: { context: string; namespace: string }, service: string): Promise<MappingChoice> {
    const folder = this.folder();
    if (!folder) return 'no-sync';
    const text = await this.readConfigText(folder);
    const config = text === undefined ? undefined : parseConfig(text);
    const known = config?.services[service];
    if (known) return known;
    const api = this.deps.clusters.connection(where.context).objects;
    const proposal = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Devlane: looking at ${service}'s working directory` }, () =>
      proposeFor(api, where.namespace, service, folder.uri.fsPath, AbortSignal.timeout(20_000)),
    );
    const use = { label: `$(check) ${proposal.localPath === '.' ? folder.name : proposal.localPath} → ${proposal.remotePath}`, detail: `Proposed: ${proposal.reason}. Saved to ${configFile}.` };
    const other = proposal.problem
      ? { label: '$(folder) Choose the local folder and type the path in the container…', detail: proposal.problem }
      : { label: '$(folder) Another local folder or container path…', detail: 'Pick the folder, then type the path in the container.' };
    const skip = { label: `$(circle-slash) Do not sync ${service}`, detail: 'The copy runs the image\'s code as it is; you can start sync later.' };
    // A system directory is never offered as it is: the first sync would delete the image's files there.
    const pick = await vscode.window.showQuickPick(proposal.problem ? [other, skip] : [use, other, skip], { title: `Sync ${service}: which local folder goes where in the developer copy?`, ignoreFocusOut: true });
    if (!pick) return 'cancel';
    if (pick === skip) return 'no-sync';
    let localPath = proposal.localPath;
    let remotePath = proposal.problem ? '' : proposal.remotePath;
    if (pick === other) {
      const chosen = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, canSelectMany: false, defaultUri: folder.uri, openLabel: `Sync this folder into ${service}` });
      if (!chosen?.[0]) return 'cancel';
      const rel = vscode.workspace.asRelativePath(chosen[0], false);
      localPath = chosen[0].fsPath === folder.uri.fsPath ? '.' : rel;
      const typed = await vscode.window.showInputBox({ title: `Sync ${localPath} into ${service}: path in the container`, value: remotePath, ignoreFocusOut: true, placeHolder: '/app', validateInput: (v) => remotePathProblem(v) });
      if (!typed) return 'cancel';
      remotePath = typed;
    }
    const mapping = parseConfig(withService(config, service, { localPath, remotePath, exclude: [], action: 'restart', signal: 'SIGHUP' })).services[service];
    await vscode.workspace.fs.createDirectory(vscode.Uri.joinPath(folder.uri, '.vscode'));
    await vscode.workspace.fs.writeFile(vscode.Uri.joinPath(folder.uri, configFile), new TextEncoder().encode(withService(config, service, mapping)));
    this.deps.logger.info(`sync mapping for ${service} saved to ${configFile}: ${localPath} → ${remotePath}`);
    return mapping;
  }

  /** Syncs the service's live copy until the session ends here (or Stop Sync). Failures are shown, not thrown. */
  async startFor(ref: SessionRef, service: string): Promise<void> {
    const folder = this.folder();
    if (!folder) return;
    const key = `${sessionKey(ref)}/${service}`;
    if (this.running.has(key)) return;
    const api = this.deps.clusters.connection(ref.context).objects;
    const controller = new AbortController();
    const ending = this.deps.active.own(ref, { dispose: () => controller.abort() });
    try {
      const handle = await startServiceSync({ api, namespace: ref.namespace, session: ref.session, service, workspaceFolder: folder.uri.fsPath, logger: this.deps.logger, onDidSave: this.saves.event, confirmDeletes: (p) => confirmDeletes(service, p) }, controller.signal);
      ending.dispose();
      const report = (s: SyncStatus) => this.deps.activity.reportSync(ref, stats(service, handle, s));
      handle.syncer.onDidChangeStatus(report);
      report(handle.syncer.current);
      // The copy's output is followed as long as it is synced (Stop Sync ends both).
      const trouble = this.deps.troubles?.watch(ref, service, { localRoot: handle.localRoot, remotePath: handle.mapping.remotePath });
      const synced: ServiceSyncHandle = { ...handle, dispose: () => (trouble?.dispose(), handle.dispose()) };
      this.running.set(key, synced);
      this.deps.active.own(ref, {
        dispose: () => {
          synced.dispose();
          this.running.delete(key);
          this.deps.activity.forgetService(ref, service, 'sync');
        },
      });
    } catch (err) {
      ending.dispose();
      if (controller.signal.aborted) return;
      this.deps.activity.reportSync(ref, { service, state: 'error', localRoot: folder.uri.fsPath, remotePath: '', pending: 0, carried: 0, failures: [{ at: Date.now(), message: (err as Error).message }], message: (err as Error).message });
      showError(err instanceof ConfigError ? err : new Error(`Sync of ${service} did not start: ${(err as Error).message}`), this.deps.logger);
    }
  }

  private async startByHand(a?: SyncTarget): Promise<void> {
    if (!this.folder()) return void vscode.window.showErrorMessage('Devlane syncs a workspace folder: open the folder that holds the service\'s source first.');
    const ref = await this.pickSession(a);
    if (!ref) return;
    const live = this.deps.active.get(ref);
    if (!live) return void vscode.window.showErrorMessage(`You are not in session ${ref.session} in this window: join it (or start it) first; sync runs while you are in the session.`);
    const service = a?.service ?? (await vscode.window.showInputBox({ prompt: `Service of session ${ref.session} to sync`, ignoreFocusOut: true }));
    if (!service) return;
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Devlane: first sync of ${service} (session ${ref.session})`, cancellable: true }, async (_p, token) => {
      const signal = toAbortSignal(token);
      const started = this.startFor(ref, service);
      signal.addEventListener('abort', () => this.stopKey(`${sessionKey(ref)}/${service}`), { once: true });
      await started;
    });
  }

  private async pickSession(a?: SyncTarget): Promise<SessionRef | undefined> {
    if (a?.context && a.namespace && a.session) return { context: a.context, namespace: a.namespace, session: a.session };
    const active = this.deps.active.list();
    if (active.length === 1) return active[0].ref;
    const pick = await vscode.window.showQuickPick(active.map((s) => ({ label: s.ref.session, description: `${s.ref.context} / ${s.ref.namespace}`, ref: s.ref })), { placeHolder: 'Session to sync into' });
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

/** The editor's answer to "delete these paths in the container?": a modal naming them; closing it keeps them. */
async function confirmDeletes(service: string, p: DeletePreview): Promise<boolean> {
  const remove = `Delete ${p.count} paths`;
  const answer = await vscode.window.showWarningMessage(
    `Sync ${service}: delete ${p.count} paths in the container that are not in your local folder?`,
    { modal: true, detail: `${describeDeletes(p)}\n\nKeep them, and sync continues with uploads only. If these are not yours to delete, check localPath and remotePath in ${configFile}.` },
    remove,
    'Keep Them',
  );
  return answer === remove;
}

function stats(service: string, handle: ServiceSyncHandle, s: SyncStatus): ServiceSyncStats {
  return {
    service,
    state: s.state,
    localRoot: handle.localRoot,
    remotePath: handle.mapping.remotePath,
    lastSyncAt: s.lastSyncAt,
    lastDurationMs: s.lastDurationMs,
    pending: s.pending,
    carried: s.carried,
    failures: s.failures.map((f) => ({ at: f.at, message: f.message })),
    message: s.message,
    notes: s.notes,
  };
}
