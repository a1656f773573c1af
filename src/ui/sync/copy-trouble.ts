// A copy in trouble says so: while a session's copy is synced from this window, its output is
// followed (src/sync/copy-trouble-watch.ts, started with the sync by src/sync/copy-sync.ts). When its program exits by itself (a save with a
// syntax error, an uncaught exception), the status bar turns to its error state, a notification
// shows the error with Open Logs, and the file and line the runtime blamed become an error in the
// Problems view at the local file. The next start of the program clears all three.
import * as vscode from 'vscode';
import type { Clusters } from '../../cluster/api';
import { Disposable } from '../../core/lifecycle';
import type { CopyTrouble } from '../../core/sync/copy-trouble';
import type { ActivityReporter } from '../../sessionview/activity';
import { type SessionRef, sessionKey } from '../../sessionview/refs';
import { openCopyLogTerminal } from '../log-terminal';

export class CopyTroubleView extends Disposable {
  private readonly diagnostics = this._register(vscode.languages.createDiagnosticCollection('devlane'));
  /** The local files each watched copy put problems on, to clear exactly those. */
  private readonly files = new Map<string, vscode.Uri[]>();

  constructor(
    private readonly clusters: Clusters,
    private readonly activity: ActivityReporter,
  ) {
    super();
  }

  /** The copy of `service` exited by itself (its trouble), or started again (undefined): src/sync/copy-sync.ts says which. */
  show(ref: SessionRef, service: string, trouble: CopyTrouble | undefined): void {
    const key = `${sessionKey(ref)}/${service}`;
    for (const uri of this.files.get(key) ?? []) this.diagnostics.delete(uri);
    this.files.delete(key);
    this.activity.reportTrouble(ref, service, trouble && { service, exitCode: trouble.exitCode, error: trouble.error });
    if (!trouble) return;
    const byFile = new Map<string, vscode.Diagnostic[]>();
    for (const p of trouble.problems) {
      if (!p.localPath) continue;
      const at = new vscode.Position(p.line - 1, Math.max(0, (p.column ?? 1) - 1));
      const d = new vscode.Diagnostic(
        new vscode.Range(at, p.column ? at : at.translate(0, 1000)),
        `${p.message} (the copy of ${service} in session ${ref.session} exited with code ${trouble.exitCode})`,
        vscode.DiagnosticSeverity.Error,
      );
      d.source = 'devlane';
      byFile.set(p.localPath, [...(byFile.get(p.localPath) ?? []), d]);
    }
    const uris = [...byFile].map(([path, ds]) => {
      const uri = vscode.Uri.file(path);
      this.diagnostics.set(uri, ds);
      return uri;
    });
    this.files.set(key, uris);
    const where = trouble.problems[0];
    const said = trouble.error ?? trouble.lastLines.filter((l) => l.trim()).slice(-1)[0] ?? 'it printed nothing';
    const at = where ? ` at ${vscode.workspace.asRelativePath(where.localPath ?? where.remotePath)}:${where.line}` : '';
    const openLogs = 'Open Logs';
    const openFile = 'Go to Error';
    const actions = where?.localPath ? [openFile, openLogs] : [openLogs];
    void vscode.window
      .showErrorMessage(
        `The copy of ${service} (session ${ref.session}) exited with code ${trouble.exitCode}${at}: ${said}. The next save restarts it.`,
        ...actions,
      )
      .then((pick) => {
        if (pick === openLogs) openCopyLogTerminal(this.clusters.connection(ref.context), ref, service);
        else if (pick === openFile && where?.localPath)
          void vscode.window.showTextDocument(vscode.Uri.file(where.localPath), {
            selection: new vscode.Range(where.line - 1, 0, where.line - 1, 0),
          });
      });
  }
}
