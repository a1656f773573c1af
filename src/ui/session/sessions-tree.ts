// Renders the Sessions view from SessionsWatch; the rows themselves come from src/sessionview/tree.ts.
import * as vscode from 'vscode';
import { Disposable } from '../../core/lifecycle';
import { childRows, placeChildren, rootRows, type SessionRow, viewDescription } from '../../sessionview/tree';
import type { SessionsWatch } from '../../sessionview/watch';
import { treeItem } from '../vscode-utils';

export class SessionsTreeProvider extends Disposable implements vscode.TreeDataProvider<SessionRow> {
  private readonly emitter = this._register(new vscode.EventEmitter<SessionRow | undefined>());
  readonly onDidChangeTreeData = this.emitter.event;

  constructor(private readonly watch: SessionsWatch) {
    super();
    this._register(watch.onDidChange(() => this.emitter.fire(undefined)));
  }

  /** Shows which context and namespace the view lists, in the view's title bar. */
  attach(view: vscode.TreeView<SessionRow>): void {
    const update = () => (view.description = viewDescription(this.watch.state));
    this._register(this.watch.onDidChange(update));
    update();
  }

  getChildren(row?: SessionRow): SessionRow[] {
    if (!row)
      return rootRows(
        this.watch.state,
        this.watch.sessions(),
        new Date(),
        this.watch.unreadableRecords(),
        this.watch.placeStates(),
      );
    if (row.kind === 'place') {
      const place = this.watch
        .placeStates()
        .find(
          (p) =>
            p.state.phase !== 'none' &&
            p.state.where.context === row.place?.context &&
            p.state.where.namespace === row.place?.namespace,
        );
      return place ? placeChildren(place, this.watch.sessions(), new Date(), this.watch.unreadableRecords()) : [];
    }
    if (row.kind !== 'session' || !row.ref) return [];
    const view = this.watch.get(row.ref);
    return view ? childRows(view) : [];
  }

  getTreeItem(row: SessionRow): vscode.TreeItem {
    return treeItem(row, row.kind === 'place' ? 'expanded' : row.expandable ? 'collapsed' : 'none');
  }
}
