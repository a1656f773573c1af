// Renders the explorer model. No logic lives here beyond mapping a node to a TreeItem.
import * as vscode from 'vscode';
import { commands } from '../../core/contributions';
import { Disposable } from '../../core/lifecycle';
import type { ExplorerModel } from '../../explorer/model';
import type { ExplorerNode } from '../../explorer/nodes';
import { treeItem } from '../vscode-utils';

export class ClustersTreeProvider extends Disposable implements vscode.TreeDataProvider<ExplorerNode> {
  private readonly emitter = this._register(new vscode.EventEmitter<ExplorerNode[] | undefined>());
  readonly onDidChangeTreeData = this.emitter.event;

  constructor(private readonly model: ExplorerModel) {
    super();
    this._register(model.onDidChange((nodes) => this.emitter.fire(nodes)));
  }

  getChildren(node?: ExplorerNode): ExplorerNode[] {
    return this.model.getChildren(node);
  }

  getParent(node: ExplorerNode): ExplorerNode | undefined {
    return this.model.getParent(node);
  }

  getTreeItem(node: ExplorerNode): vscode.TreeItem {
    const item = treeItem(node, node.expandable);
    if (node.kind === 'error') {
      item.command = { command: commands.retry, title: 'Retry', arguments: [node] };
    }
    return item;
  }
}
