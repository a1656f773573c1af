// What the activation entry (src/extension.ts) registers before the core is loaded: VS Code sees
// every view, command and provider at once, and each one loads the core on its first call. This
// file is bundled into the small entry, so it imports nothing but vscode and the ids: whatever it
// imported would be a second copy, beside the core's, of that module and its state.
import * as vscode from 'vscode';
import type { CommandId } from '../core/contributions';

/**
 * One placeholder per command id: the first run loads the core (which disposes the placeholders
 * and registers the real handlers under the same ids), then runs the command again, now handled
 * by the core. Arguments pass through unchanged: the command runs in this extension host.
 */
export function registerPlaceholderCommands(ids: readonly CommandId[], load: () => unknown): vscode.Disposable {
  const registered = ids.map((id) =>
    vscode.commands.registerCommand(id, (...args: unknown[]) => {
      load();
      return vscode.commands.executeCommand(id, ...args);
    }),
  );
  return vscode.Disposable.from(...registered);
}

/**
 * A tree data provider for a view registered at activation whose rows come from the core: its
 * first question loads the core, which attaches the real provider; every question after goes to
 * it, and its change events are passed on.
 */
export class DeferredTree<T> implements vscode.TreeDataProvider<T>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<T | T[] | undefined | null | void>();
  readonly onDidChangeTreeData = this.changed.event;
  private target: vscode.TreeDataProvider<T> | undefined;
  private subscription: vscode.Disposable | undefined;

  constructor(private readonly load: () => unknown) {}

  attach(target: vscode.TreeDataProvider<T>): void {
    this.target = target;
    this.subscription = target.onDidChangeTreeData?.((e) => this.changed.fire(e));
  }

  private provider(): vscode.TreeDataProvider<T> {
    if (!this.target) this.load();
    if (!this.target) throw new Error("Devlane: the view's rows were not attached when the core started");
    return this.target;
  }

  getChildren(element?: T): vscode.ProviderResult<T[]> {
    return this.provider().getChildren(element);
  }

  getTreeItem(element: T): vscode.TreeItem | Thenable<vscode.TreeItem> {
    return this.provider().getTreeItem(element);
  }

  getParent(element: T): vscode.ProviderResult<T> {
    return this.provider().getParent?.(element);
  }

  dispose(): void {
    this.subscription?.dispose();
    this.changed.dispose();
  }
}
