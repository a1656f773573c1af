// The lazy core's wiring: create the pieces, connect them, register them for disposal. The small
// entry (src/extension.ts) loads this bundle (dist/extension-core.js) once, on first need, and has
// already registered the views, the command ids and the providers VS Code asks first; this fills
// them. No work happens at import time, and nothing here talks to a cluster; the first watch
// starts when the view asks.
import * as vscode from 'vscode';
import { KubeClusters } from './cluster/clusters';
import { configKeys, contextKeys } from './core/contributions';
import { type Where, whereDevlaneWorks } from './core/where';
import { ExplorerModel } from './explorer/model';
import type { ExplorerNode } from './explorer/nodes';
import { ForwardRegistry } from './explorer/forwards';
import { DescribeProvider } from './ui/describe';
import { ExplorerCommands } from './ui/explorer/commands';
import { ClustersTreeProvider } from './ui/explorer/tree-provider';
import { OutputLogger } from './ui/log';
import { ActivityBoard } from './sessionview/activity';
import { SessionTraces } from './sessionview/traces';
import { ActiveSessions } from './sessionview/active';
import { OrphanCollector } from './sessionview/collector';
import type { SessionRow } from './sessionview/tree';
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
import { RoutePropagation } from './ui/doctor/route-propagation';
import { MementoPrefs, windowInstance } from './ui/prefs';
import { affectsConfig, readConfig, setContext } from './ui/vscode-utils';

/** What the entry made at activation and hands to the core: the two views, with deferred providers. */
export interface EntryViews {
  clustersTree: vscode.TreeView<ExplorerNode>;
  sessionsTree: vscode.TreeView<SessionRow>;
  /** What asked first (for the log), and how long loading this bundle took. */
  firstNeed: string;
  loadMs: number;
}

/** What the entry's deferred registrations forward to once the core is loaded. */
export interface Core {
  /** A read-only view of the Clusters tree's model, for the in-editor tests (DevlaneApi). */
  explorer: ExplorerModel;
  clusters: vscode.TreeDataProvider<ExplorerNode>;
  sessions: vscode.TreeDataProvider<SessionRow>;
  describe: vscode.TextDocumentContentProvider;
  uri: vscode.UriHandler;
  panels: vscode.WebviewPanelSerializer;
  debugConfigurations: DebugFeature['configurations'];
  debugAdapters: vscode.DebugAdapterDescriptorFactory;
}

/**
 * Starts everything: called once, by the entry, after it disposed its command placeholders, so
 * that the handlers registered here take their ids.
 */
export function activateCore(
  context: vscode.ExtensionContext,
  { clustersTree: tree, sessionsTree, firstNeed, loadMs }: EntryViews,
): Core {
  const own = <T extends vscode.Disposable>(d: T): T => {
    context.subscriptions.push(d);
    return d;
  };

  const logger = own(new OutputLogger());
  logger.info(
    `Devlane ${context.extension.packageJSON.version} starting (VS Code ${vscode.version}, Node ${process.versions.node}), for ${firstNeed}; its code loaded in ${Math.round(loadMs)} ms`,
  );

  const clusters = own(new KubeClusters({ setting: () => readConfig(configKeys.kubeconfig), watch: true }, { logger }));
  const { files, source, contexts } = clusters.kubeconfig;
  logger.info(`kubeconfig from ${source}: ${files.join(', ') || '(no file found)'}; ${contexts.length} context(s)`);

  const prefs = own(new MementoPrefs(context.globalState));
  const forwards = own(new ForwardRegistry());
  const instance = windowInstance(context.workspaceState);
  const sessionsWatch = own(new SessionsWatch(clusters, instance));
  const model = own(new ExplorerModel(clusters, prefs, forwards, { decorations: sessionsWatch }));
  const provider = own(new ClustersTreeProvider(model));
  own(tree.onDidCollapseElement((e) => model.collapsed(e.element)));

  own(new ExplorerCommands({ clusters, prefs, forwards, logger }));
  const active = own(new ActiveSessions());
  const activity = own(new ActivityBoard());
  const traces = own(new SessionTraces());
  const troubles = own(new CopyTroubleView(clusters, activity));
  const sync = own(new SyncCommands({ clusters, logger, active, activity, troubles }));
  const extensionId = `${context.extension.packageJSON.publisher}.${context.extension.packageJSON.name}`;
  const where = (given?: Partial<Where>) => whereDevlaneWorks(prefs, clusters.kubeconfig, given);
  const sessionsHere = sessionsAt(clusters, instance, () => sessionDefaults(logger));
  const routeCheck = own(new RoutePropagation(logger));
  const sessionCommands = own(
    new SessionCommands({
      clusters,
      where,
      sessionsAt: sessionsHere,
      logger,
      active,
      watch: sessionsWatch,
      extensionId,
      sync,
      traces,
      routeCheck: (from, to) => routeCheck.traceBlamed(from, to),
    }),
  );
  const sessionsProvider = own(new SessionsTreeProvider(sessionsWatch));
  sessionsProvider.attach(sessionsTree);
  const statusBar = own(new SessionStatusBar(active, sessionsWatch, activity, () => where(), logger));
  own(prefs.onDidChange(() => statusBar.update()));
  const panels = own(
    new SessionPanels({
      clusters,
      watch: sessionsWatch,
      active,
      activity,
      traces,
      logger,
      extensionUri: context.extensionUri,
    }),
  );
  const debug = own(new DebugFeature({ clusters, where, active, watch: sessionsWatch, activity, logger }));
  // Sessions whose participants vanished (crash, sleep) are restored by whoever sees them.
  // Never on its own where it looks like production: there the user is asked first.
  own(
    new OrphanCollector(sessionsWatch, (context, namespace) => sessionsHere({ context, namespace }), logger, {
      production: (context, namespace) => productionReasonAt(clusters, { context, namespace }),
      ask: askToCollect,
    }),
  );
  own(new RecordCommands(clusters, logger));
  const uri = new JoinUriHandler(
    clusters,
    (ref) => sessionCommands.join(ref),
    logger,
    (where) => productionReasonAt(clusters, where),
  );
  own(active.onDidChange(() => void setContext(contextKeys.inSession, active.list().length > 0)));
  // The session watches start once a view is shown or a session is active here, and from then on
  // follow the namespace Devlane works in and every namespace where this window is in a session.
  let following = false;
  const followNamespace = () => {
    if (!following && !sessionsTree.visible && !tree.visible && active.list().length === 0) return;
    following = true;
    sessionsWatch.follow(
      where(),
      active.list().map((a) => ({ context: a.ref.context, namespace: a.ref.namespace })),
    );
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
  return {
    explorer: model,
    clusters: provider,
    sessions: sessionsProvider,
    describe: new DescribeProvider(clusters),
    uri,
    panels: panels.serializer,
    debugConfigurations: debug.configurations,
    debugAdapters: debug.adapters,
  };
}
