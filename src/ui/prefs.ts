// Which context Devlane works in and each context's default namespace. Kept in VS Code's global
// state rather than written to the kubeconfig: switching here must not change what kubectl in
// every open terminal talks to.
import * as vscode from 'vscode';
import { newEditorInstance } from '../core/session/participant';
import type { ExplorerPrefs } from '../explorer/model';

const activeKey = 'devlane.activeContext';
const namespacesKey = 'devlane.defaultNamespaces';

export class MementoPrefs implements ExplorerPrefs, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<void>();
  readonly onDidChange = this.emitter.event;

  constructor(private readonly memento: vscode.Memento) {}

  activeContext(): string | undefined {
    return this.memento.get<string>(activeKey);
  }

  defaultNamespace(context: string): string | undefined {
    return this.memento.get<Record<string, string>>(namespacesKey, {})[context];
  }

  async setActiveContext(context: string): Promise<void> {
    await this.memento.update(activeKey, context);
    this.emitter.fire();
  }

  async setDefaultNamespace(context: string, namespace: string): Promise<void> {
    const all = { ...this.memento.get<Record<string, string>>(namespacesKey, {}), [context]: namespace };
    await this.memento.update(namespacesKey, all);
    this.emitter.fire();
  }

  dispose(): void {
    this.emitter.dispose();
  }
}

const instanceKey = 'devlane.instance';

/**
 * This window's instance id, kept in the workspace's state: a reload of the window is the same
 * participant (it resumes its sessions), another window (another workspace) is another one.
 */
export function windowInstance(workspaceState: vscode.Memento): string {
  const kept = workspaceState.get<string>(instanceKey);
  if (kept) return kept;
  const made = newEditorInstance();
  void workspaceState.update(instanceKey, made);
  return made;
}
