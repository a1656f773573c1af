// The session status bar item: copies statusBarView() onto one StatusBarItem whenever the active
// sessions, the watch or sync/debug activity change (and every few seconds, so a Lease that stops
// being renewed shows without any event). While no session is active and `.vscode/devlane.json` of
// the first workspace folder names services, a second, quiet item (low priority, no colour) offers
// to develop one of them in the context and namespace Devlane works in.
import * as vscode from 'vscode';
import { Disposable, toDisposable } from '../../core/lifecycle';
import type { Logger } from '../../core/logger';
import { configFile } from '../../core/sync/config';
import type { SessionActivity } from '../../sessionview/activity';
import type { ActiveSessions } from '../../sessionview/active';
import { developOffer, linkCommands, statusBarView } from '../../sessionview/status';
import type { Where } from '../../core/where';
import type { SessionsWatch } from '../../sessionview/watch';
import { configuredServices } from '../workspace-config';

export class SessionStatusBar extends Disposable {
  private readonly item = this._register(
    vscode.window.createStatusBarItem('devlane.session', vscode.StatusBarAlignment.Left, 50),
  );
  private readonly quiet = this._register(
    vscode.window.createStatusBarItem('devlane.develop', vscode.StatusBarAlignment.Left, -100),
  );
  /** The services `.vscode/devlane.json` names (empty: none, or no such file). */
  private workspaceServices: string[] = [];

  constructor(
    private readonly active: ActiveSessions,
    private readonly watch: SessionsWatch,
    private readonly activity: SessionActivity,
    private readonly where: () => Where | undefined = () => undefined,
    private readonly logger?: Logger,
  ) {
    super();
    this.item.name = 'Devlane Session';
    this.quiet.name = 'Devlane: Develop This Service';
    const config = this._register(vscode.workspace.createFileSystemWatcher(`**/${configFile}`));
    for (const ev of [config.onDidCreate, config.onDidChange, config.onDidDelete])
      this._register(ev(() => void this.readWorkspace()));
    this._register(vscode.workspace.onDidChangeWorkspaceFolders(() => void this.readWorkspace()));
    void this.readWorkspace();
    this._register(active.onDidChange(() => this.update()));
    this._register(watch.onDidChange(() => this.update()));
    this._register(activity.onDidChange(() => this.update()));
    const timer = setInterval(() => this.active.current() && this.update(), 5_000);
    this._register(toDisposable(() => clearInterval(timer)));
    this.update();
  }

  /** Reads the first workspace folder's .vscode/devlane.json; a missing or invalid file offers nothing. */
  private async readWorkspace(): Promise<void> {
    this.workspaceServices = await configuredServices(vscode.workspace.workspaceFolders?.[0], (err) =>
      this.logger?.warn(`${err.message}: the status bar offers no service to develop until the file is fixed.`),
    );
    this.update();
  }

  update(): void {
    if (this.isDisposed) return;
    const a = this.active.current();
    const offer = a ? undefined : developOffer(this.workspaceServices, this.where());
    if (offer) {
      const quiet = statusBarView({
        active: undefined,
        view: undefined,
        me: this.watch.user,
        lease: undefined,
        sync: { state: 'idle' },
        debug: 'detached',
        offer,
      })!;
      this.quiet.text = quiet.text;
      this.quiet.tooltip = new vscode.MarkdownString(quiet.tooltip, true);
      this.quiet.accessibilityInformation = { label: quiet.accessibleLabel, role: 'button' };
      this.quiet.command = quiet.command && {
        title: 'Develop This Service',
        command: quiet.command.command,
        arguments: quiet.command.arguments,
      };
      this.quiet.show();
    } else this.quiet.hide();
    const view = statusBarView({
      active: a,
      view: a ? this.watch.get(a.ref) : undefined,
      me: a ? this.watch.userAt(a.ref) : this.watch.user,
      lease: a ? this.watch.myLease(a.ref) : undefined,
      sync: a ? this.activity.sync(a.ref) : { state: 'idle' },
      debug: a ? this.activity.debug(a.ref) : 'detached',
      troubles: a ? this.activity.troubles(a.ref) : [],
    });
    if (!view) {
      this.item.hide();
      return;
    }
    this.item.text = view.text;
    const tooltip = new vscode.MarkdownString(view.tooltip, true);
    tooltip.isTrusted = { enabledCommands: linkCommands };
    this.item.tooltip = tooltip;
    this.item.accessibilityInformation = { label: view.accessibleLabel, role: 'button' };
    this.item.command = view.command
      ? { title: 'Session Actions', command: view.command.command, arguments: view.command.arguments }
      : undefined;
    this.item.color = undefined;
    this.item.backgroundColor =
      view.severity === 'error'
        ? new vscode.ThemeColor('statusBarItem.errorBackground')
        : view.severity === 'warning'
          ? new vscode.ThemeColor('statusBarItem.warningBackground')
          : undefined;
    this.item.show();
  }
}
