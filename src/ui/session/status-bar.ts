// The session status bar item: copies statusBarView() onto one StatusBarItem whenever the active
// sessions, the watch or sync/debug activity change (and every few seconds, so a Lease that stops
// being renewed shows without any event).
import * as vscode from 'vscode';
import { Disposable, toDisposable } from '../../core/lifecycle';
import type { SessionActivity } from '../../sessionview/activity';
import type { ActiveSessions } from '../../sessionview/active';
import { linkCommands, statusBarView } from '../../sessionview/status';
import type { SessionsWatch } from '../../sessionview/watch';

export class SessionStatusBar extends Disposable {
  private readonly item = this._register(vscode.window.createStatusBarItem('devlane.session', vscode.StatusBarAlignment.Left, 50));

  constructor(
    private readonly active: ActiveSessions,
    private readonly watch: SessionsWatch,
    private readonly activity: SessionActivity,
  ) {
    super();
    this.item.name = 'Devlane Session';
    this._register(active.onDidChange(() => this.update()));
    this._register(watch.onDidChange(() => this.update()));
    this._register(activity.onDidChange(() => this.update()));
    const timer = setInterval(() => this.active.current() && this.update(), 5_000);
    this._register(toDisposable(() => clearInterval(timer)));
    this.update();
  }

  update(): void {
    const a = this.active.current();
    const view = statusBarView({
      active: a,
      view: a ? this.watch.get(a.ref) : undefined,
      me: this.watch.user,
      lease: a ? this.watch.myLease(a.ref) : undefined,
      sync: a ? this.activity.sync(a.ref) : { state: 'idle' },
      debug: a ? this.activity.debug(a.ref) : 'detached',
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
    this.item.command = view.command ? { title: 'Session Actions', command: view.command.command, arguments: view.command.arguments } : undefined;
    this.item.color = undefined;
    this.item.backgroundColor = view.severity === 'error' ? new vscode.ThemeColor('statusBarItem.errorBackground') : view.severity === 'warning' ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.show();
  }
}
