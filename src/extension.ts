// Wiring only: create the pieces, connect them, register them for disposal. No work happens at
// import time, and nothing here talks to a cluster; the first watch starts when the view asks.
import * as vscode from 'vscode';
import { KubeClusters } from './cluster/clusters';
import { configKeys, contextKeys, describeScheme, views } from './core/contributions';
import { type Where, whereDevlaneWorks } from './core/where';
import { ExplorerModel } from './explorer/model';
import { ForwardRegistry } from './explorer/forwards';
import { DescribeProvider } from './ui/describe';
import { ExplorerCommands } from './ui/explorer/commands';
import { ClustersTreeProvider } from './ui/explorer/tree-provider';
import { OutputLogger } from './ui/log';
import { ActivityBoard } from './sessionview/activity';
import { ActiveSessions } from './sessionview/active';
import { OrphanCollector } from './sessionview/collector';
import { SessionsWatch } from './sessionview/watch';
import { sessionsAt } from './session/sessions-at';
import { SessionCommands } from './ui/session/commands';
import { SyncCommands } from './ui/sync/commands';
import { CopyTroubleView } from './ui/sync/copy-trouble';
import { SessionsTreeProvider } from './ui/session/sessions-tree';
import { SessionStatusBar } from './ui/session/status-bar';
import { SessionPanels } from './ui/session/panel';
import { JoinUriHandler } from './ui/session/uri-handler';
import { askToCollect, productionReasonAt, sessionDefaults } from './ui/session/production';
import { RecordCommands } from './ui/session/records';
import { DebugFeature } from './ui/debug';
import { MementoPrefs, windowInstance } from './ui/prefs';
import { affectsConfig, readConfig, setContext } from './ui/vscode-utils';

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
  const instance = windowInstance(context.workspaceState);
  const sessionsWatch = own(new SessionsWatch(clusters, instance));
  const model = own(new ExplorerModel(clusters, prefs, forwards, { decorations: sessionsWatch }));
  const provider = own(new ClustersTreeProvider(model));
  const tree = own(vscode.window.createTreeView(views.clusters, { treeDataProvider: provider, showCollapseAll: true }));
  own(tree.onDidCollapseElement((e) => model.collapsed(e.element)));

  own(vscode.workspace.registerTextDocumentContentProvider(describeScheme, new DescribeProvider(clusters)));
  own(new ExplorerCommands({ clusters, prefs, forwards, logger }));
  const active = own(new ActiveSessions());
  const activity = own(new ActivityBoard());
  const troubles = own(new CopyTroubleView(clusters, activity));
  const sync = own(new SyncCommands({ clusters, logger, active, activity, troubles }));
  const extensionId = `${context.extension.packageJSON.publisher}.${context.extension.packageJSON.name}`;
  const where = (given?: Partial<Where>) => whereDevlaneWorks(prefs, clusters.kubeconfig, given);
  const sessionsHere = sessionsAt(clusters, instance, () => sessionDefaults(logger));
  const sessionCommands = own(new SessionCommands({ clusters, where, sessionsAt: sessionsHere, logger, active, watch: sessionsWatch, extensionId, sync }));
  const sessionsProvider = own(new SessionsTreeProvider(sessionsWatch));
  const sessionsTree = own(vscode.window.createTreeView(views.sessions, { treeDataProvider: sessionsProvider }));
  sessionsProvider.attach(sessionsTree);
  const statusBar = own(new SessionStatusBar(active, sessionsWatch, activity, () => where(), logger));
  own(prefs.onDidChange(() => statusBar.update()));
  own(new SessionPanels({ clusters, watch: sessionsWatch, active, activity, logger, extensionUri: context.extensionUri }));
  own(new DebugFeature({ clusters, where, active, watch: sessionsWatch, activity, logger }));
  // Sessions whose participants vanished (crash, sleep) are restored by whoever sees them.
  // Never on its own where it looks like production: there the user is asked first.
  own(new OrphanCollector(sessionsWatch, (context, namespace) => sessionsHere({ context, namespace }), logger, { production: (context, namespace) => productionReasonAt(clusters, { context, namespace }), ask: askToCollect }));
  own(new RecordCommands(clusters, logger));
  own(vscode.window.registerUriHandler(new JoinUriHandler(clusters, (ref) => sessionCommands.join(ref), logger, (where) => productionReasonAt(clusters, where))));
  own(active.onDidChange(() => void setContext(contextKeys.inSession, active.list().length > 0)));
  // The session watches (one namespace) start once a view is shown or a session is active here.
  // They follow the namespace of the session this window is in, which may be one Devlane does not
  // work in (Develop This Service on another namespace's row, a join link), so that the status bar,
  // the Sessions view and the Clusters marks show that session; with none, the one Devlane works in.
  let following = false;
  const followNamespace = () => {
    if (!following && !sessionsTree.visible && !tree.visible && active.list().length === 0) return;
    following = true;
    const current = active.current()?.ref;
    sessionsWatch.follow(current ? { context: current.context, namespace: current.namespace } : where());
  };
  own(prefs.onDidChange(followNamespace));
  own(clusters.onDidChange(followNamespace));
  own(sessionsTree.onDidChangeVisibility(followNamespace));
  own(tree.onDidChangeVisibility(followNamespace));
  own(active.onDidChange(followNamespace));
  followNamespace();

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
