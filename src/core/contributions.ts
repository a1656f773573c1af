// Every id that package.json also names, in one typed place: commands, settings, views, context
// keys and tree item context values. registerCommand / readConfig / setContext take these types,
// and test/unit/core/contributions.test.ts fails when package.json and this file disagree. What
// each command is invoked with is in src/ui/command-args.ts (it names types of the layers above).

export const commands = {
  refresh: 'devlane.refresh',
  retry: 'devlane.retry',
  switchContext: 'devlane.switchContext',
  setDefaultNamespace: 'devlane.setDefaultNamespace',
  streamLogs: 'devlane.streamLogs',
  portForward: 'devlane.portForward',
  stopPortForward: 'devlane.stopPortForward',
  stopAllPortForwards: 'devlane.stopAllPortForwards',
  copyName: 'devlane.copyName',
  describe: 'devlane.describe',
  showLog: 'devlane.showLog',
  developService: 'devlane.developService',
  developServiceWithData: 'devlane.developServiceWithData',
  stopSession: 'devlane.stopSession',
  joinSession: 'devlane.joinSession',
  leaveSession: 'devlane.leaveSession',
  startSync: 'devlane.startSync',
  stopSync: 'devlane.stopSync',
  // Session UI
  sessionActions: 'devlane.sessionActions',
  openRoutedUrl: 'devlane.openRoutedUrl',
  copyRouteKey: 'devlane.copyRouteKey',
  copyJoinLink: 'devlane.copyJoinLink',
  traceRoute: 'devlane.traceRoute',
  checkRoutePropagation: 'devlane.checkRoutePropagation',
  takeOverService: 'devlane.takeOverService',
  cleanUpSession: 'devlane.cleanUpSession',
  deleteRecord: 'devlane.deleteRecord',
  refreshSessions: 'devlane.refreshSessions',
  // Breakpoints in the cluster
  debugService: 'devlane.debugService',
  openSessionPanel: 'devlane.openSessionPanel',
} as const;
export type CommandId = (typeof commands)[keyof typeof commands];

/** Settings, without the `devlane.` section prefix, with their value types. */
export interface ConfigTypes {
  kubeconfig: string;
  'logs.tailLines': number;
  productionContexts: string[];
  productionNamespaces: string[];
  'routing.strategy': 'auto' | 'istio' | 'router' | 'gateway-api';
  'router.image': string;
}
export const configSection = 'devlane';
export const configKeys: { [K in keyof ConfigTypes]: K } = {
  kubeconfig: 'kubeconfig',
  'logs.tailLines': 'logs.tailLines',
  productionContexts: 'productionContexts',
  productionNamespaces: 'productionNamespaces',
  'routing.strategy': 'routing.strategy',
  'router.image': 'router.image',
};
export type ConfigKey = keyof ConfigTypes;

export const views = {
  container: 'devlane',
  clusters: 'devlane.clusters',
  sessions: 'devlane.sessions',
} as const;

/** Keys set with `setContext` and read in package.json `when` clauses. */
export const contextKeys = {
  hasPortForwards: 'devlane.hasPortForwards',
  /** This window takes part in at least one session. */
  inSession: 'devlane.inSession',
} as const;
export type ContextKey = (typeof contextKeys)[keyof typeof contextKeys];

/** TreeItem.contextValue per node kind; package.json menus match them with `viewItem == ...`. */
export const treeItemContexts = {
  context: 'devlane.context',
  activeContext: 'devlane.context.active',
  namespace: 'devlane.namespace',
  defaultNamespace: 'devlane.namespace.default',
  service: 'devlane.service',
  workload: 'devlane.workload',
  pod: 'devlane.pod',
  container: 'devlane.container',
  error: 'devlane.error',
  message: 'devlane.message',
  portForwards: 'devlane.portForwards',
  portForward: 'devlane.portForward',
  // Sessions view: a session I am in, one I am not in, one whose participants are all gone; the
  // first two with `.expired` when some other participant's Lease expired (Clean Up is offered).
  sessionMine: 'devlane.session.mine',
  sessionMineExpired: 'devlane.session.mine.expired',
  sessionOther: 'devlane.session.other',
  sessionOtherExpired: 'devlane.session.other.expired',
  sessionOrphaned: 'devlane.session.orphaned',
  /** A record that fails validation: only Delete Record. */
  sessionUnreadable: 'devlane.session.unreadable',
  sessionService: 'devlane.sessionService',
  sessionParticipant: 'devlane.sessionParticipant',
} as const;
export type TreeItemContext = (typeof treeItemContexts)[keyof typeof treeItemContexts];

/** The URI scheme of read-only Describe documents. */
export const describeScheme = 'devlane-describe';

/** The session panel's webview type (package.json: `onWebviewPanel:devlane.session`). */
export const panelViewType = 'devlane.session';

/** The debug type package.json's `debuggers` declares (and `onDebugResolve:devlane`). */
export const debugType = 'devlane';
