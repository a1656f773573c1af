// A copy in trouble says so: while a session's copy is synced from this window, its output is
// followed (src/sync/copy-trouble-watch.ts, started with the sync by src/sync/copy-sync.ts). When its program exits by itself (a save with a
// syntax error, an uncaught exception), the status bar turns to its error state, a notification
// shows the error with Open Logs, and the file and line the runtime blamed become an error in the
// Problems view at the local file. The next start of the program clears all three. A build
// mapping's failed build (src/core/sync/build.ts) is shown the same way, each compiler error at
// its local file and line, until the next good build.
import * as vscode from 'vscode';
import type { Clusters } from '../../cluster/api';
import { Disposable } from '../../core/lifecycle';
import type { CopyTrouble, TroubleSource } from '../../core/sync/copy-trouble';
import type { ActivityReporter } from '../../sessionview/activity';
import { type SessionRef, sessionKey } from '../../sessionview/refs';
import { openCopyLogTerminal } from '../log-terminal';

export class CopyTroubleView extends Disposable {
  private readonly diagnostics = this._register(vscode.languages.createDiagnosticCollection('devlane'));
  /** Each copy's problems per source (`session/service/source`), by local file: a file shows them all. */
  private readonly problems = new Map<string, Map<string, vscode.Diagnostic[]>>();
  /** Each copy's trouble per source: the status bar shows the build's while there is one. */
  private readonly current = new Map<string, CopyTrouble>();

  constructor(
    private readonly clusters: Clusters,
    private readonly activity: ActivityReporter,
  ) {
    super();
  }

  /**
   * The copy of `service` exited by itself (its trouble), or started again (undefined); or its
   * build failed (its trouble) or succeeded (undefined): src/sync/copy-sync.ts says which.
   */
  show(ref: SessionRef, service: string, trouble: CopyTrouble | undefined, source: TroubleSource = 'program'): void {
    const copy = `${sessionKey(ref)}/${service}`;
    const key = `${copy}/${source}`;
    if (trouble) this.current.set(key, trouble);
    else this.current.delete(key);
    const build = this.current.get(`${copy}/build`);
    const shown = build ?? this.current.get(`${copy}/program`);
    this.activity.reportTrouble(
      ref,
      service,
      shown && { service, exitCode: shown.exitCode, error: shown.error, ...(build ? { build: true } : {}) },
    );
    const built = source === 'build';
    const what = built
      ? `the build in the copy of ${service} (session ${ref.session}) failed; the previous program keeps running`
      : `the copy of ${service} in session ${ref.session} exited with code ${trouble?.exitCode}`;
    const byFile = new Map<string, vscode.Diagnostic[]>();
    for (const p of trouble?.problems ?? []) {
      if (!p.localPath) continue;
      const at = new vscode.Position(p.line - 1, Math.max(0, (p.column ?? 1) - 1));
      const d = new vscode.Diagnostic(
        new vscode.Range(at, p.column ? at : at.translate(0, 1000)),
        `${p.message} (${what})`,
        vscode.DiagnosticSeverity.Error,
      );
      d.source = 'devlane';
      byFile.set(p.localPath, [...(byFile.get(p.localPath) ?? []), d]);
    }
    const touched = new Set([...(this.problems.get(key)?.keys() ?? []), ...byFile.keys()]);
    if (byFile.size) this.problems.set(key, byFile);
    else this.problems.delete(key);
    for (const path of touched)
      this.diagnostics.set(
        vscode.Uri.file(path),
        [...this.problems.values()].flatMap((files) => files.get(path) ?? []),
      );
    if (!trouble) return;
    const where = trouble.problems[0];
    const said = trouble.error ?? trouble.lastLines.filter((l) => l.trim()).slice(-1)[0] ?? 'it printed nothing';
    const at = where ? ` at ${vscode.workspace.asRelativePath(where.localPath ?? where.remotePath)}:${where.line}` : '';
    const openLogs = 'Open Logs';
    const openFile = 'Go to Error';
    const actions = where?.localPath ? [openFile, openLogs] : [openLogs];
    const text = built
      ? `The build in the copy of ${service} (session ${ref.session}) failed${at}: ${said}. The previous program keeps running; the next save builds again.`
      : `The copy of ${service} (session ${ref.session}) exited with code ${trouble.exitCode}${at}: ${said}. The next save restarts it.`;
    void vscode.window.showErrorMessage(text, ...actions).then((pick) => {
      if (pick === openLogs) openCopyLogTerminal(this.clusters.connection(ref.context), ref, service);
      else if (pick === openFile && where?.localPath)
        void vscode.window.showTextDocument(vscode.Uri.file(where.localPath), {
          selection: new vscode.Range(where.line - 1, 0, where.line - 1, 0),
        });
    });
  }
}
