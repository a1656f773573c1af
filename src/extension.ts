// Wiring only: create the pieces, connect them, register them for disposal. No work happens at
// import time, and nothing here talks to a cluster; the first watch starts when the view asks.
import * as vscode from 'vscode';
import { KubeClusters } from './cluster/clusters';
import { configKeys, describeScheme, views } from './core/contributions';
import { ExplorerModel } from './explorer/model';
import { ForwardRegistry } from './explorer/forwards';
import { DescribeProvider } from './ui/describe';
import { ExplorerCommands } from './ui/explorer/commands';
import { ClustersTreeProvider } from './ui/explorer/tree-provider';
import { OutputLogger } from './ui/log';
import { SessionCommands } from './ui/session/commands';
import { MementoPrefs } from './ui/prefs';
import { affectsConfig, readConfig } from './ui/vscode-utils';

/**
 * What activate() returns: a read-only view of the Clusters tree's model, for the in-editor
 * tests (test/e2e/inside/), which cannot read another extension's tree through the vscode API.
 */
export interface DevlaneApi {
  readonly explorer: Pick<ExplorerModel, 'getChildren' | 'onDidChange'>;
}

export function activate(context: vscode.ExtensionContext): DevlaneApi {
  const own = <T extends vscode.Disposable>(d: T): T => {
    context.subscriptions.push(d);
    return d;
  };

  const logger = own(new OutputLogger());
  logger.info(`Devlane ${context.extension.packageJSON.version} starting (VS Code ${vscode.version}, Node ${process.versions.node})`);

  const clusters = own(new KubeClusters({ setting: () => readConfig(configKeys.kubeconfig), watch: true }, { logger }));
  const { files, source, contexts } = clusters.kubeconfig;
  logger.info(`kubeconfig from ${source}: ${files.join(', ') || '(no file found)'}; ${contexts.length} context(s)`);

  const prefs = own(new MementoPrefs(context.globalState));
  const forwards = own(new ForwardRegistry());
  const model = own(new ExplorerModel(clusters, prefs, forwards));
  const provider = own(new ClustersTreeProvider(model));
  const tree = own(vscode.window.createTreeView(views.clusters, { treeDataProvider: provider, showCollapseAll: true }));
  own(tree.onDidCollapseElement((e) => model.collapsed(e.element)));

  own(vscode.workspace.registerTextDocumentContentProvider(describeScheme, new DescribeProvider(clusters)));
  own(new ExplorerCommands({ clusters, prefs, forwards, logger }));
  own(new SessionCommands({ clusters, prefs, logger }));

  own(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (affectsConfig(e, configKeys.kubeconfig)) clusters.reload();
    }),
  );
  return { explorer: model };
}

export function deactivate(): void {
  // Everything is in context.subscriptions, which VS Code disposes after this returns.
}
