// What each command is invoked with, next to the typed ids of src/core/contributions.ts (which
// cannot name these types: they belong to the layers above it). registerCommand and runCommand
// (vscode-utils.ts) take their argument types from here, so a handler and every caller — a tree
// row's menu, the status bar, a tooltip link, the session panel — agree without casts. A command
// missing here does not compile.
import type { Uri } from 'vscode';
import type { commands, CommandId } from '../core/contributions';
import type { ExplorerNode } from '../explorer/nodes';
import type { SessionRef } from '../sessionview/refs';
import type { DevelopTarget } from '../sessionview/status';
import type { SessionRow } from '../sessionview/tree';

/** A session: its Sessions row, or a ref (the status bar, a tooltip link, the panel). */
export type SessionArg = SessionRow | SessionRef;

/** A session and maybe one of its services: a Sessions row, or a ref (with the service, from the panel). */
export type SessionServiceArg = SessionRow | (SessionRef & { service?: string });

/** A session's service to sync, as far as the caller knows it; the rest is asked or taken from the session this window is in. */
export interface SyncTarget {
  context?: string;
  namespace?: string;
  session?: string;
  service?: string;
}

/** Every command id must be in the map, each with its argument tuple. */
type Args<T extends { [K in CommandId]: unknown[] }> = T;

export type CommandArgs = Args<{
  [commands.refresh]: [];
  [commands.retry]: [node?: ExplorerNode];
  [commands.switchContext]: [node?: ExplorerNode];
  [commands.setDefaultNamespace]: [node?: ExplorerNode];
  [commands.streamLogs]: [node?: ExplorerNode];
  [commands.portForward]: [node?: ExplorerNode];
  [commands.stopPortForward]: [node?: ExplorerNode];
  [commands.stopAllPortForwards]: [];
  [commands.copyName]: [node?: ExplorerNode];
  [commands.describe]: [node?: ExplorerNode];
  [commands.showLog]: [];
  /** A service row of the Clusters view, or the status bar's offer (one service, or several to pick from). */
  [commands.developService]: [target?: ExplorerNode | DevelopTarget];
  [commands.developServiceWithData]: [node?: ExplorerNode];
  [commands.stopSession]: [session?: SessionArg];
  [commands.joinSession]: [session?: SessionArg];
  [commands.leaveSession]: [session?: SessionArg];
  [commands.startSync]: [target?: SyncTarget];
  [commands.stopSync]: [target?: SyncTarget];
  [commands.sessionActions]: [session?: SessionArg];
  /** A session, or one of its services to open the URL in front of. */
  [commands.openRoutedUrl]: [target?: SessionServiceArg];
  [commands.copyRouteKey]: [session?: SessionArg];
  [commands.copyJoinLink]: [session?: SessionArg];
  [commands.traceRoute]: [session?: SessionArg];
  /** A file to check (the Explorer's context menu); else the active file, else the workspace. */
  [commands.checkRoutePropagation]: [file?: Uri];
  [commands.takeOverService]: [session?: SessionArg];
  [commands.cleanUpSession]: [session?: SessionArg];
  [commands.deleteRecord]: [row?: SessionRow];
  [commands.refreshSessions]: [];
  [commands.debugService]: [target?: SessionServiceArg];
  [commands.openSessionPanel]: [session?: SessionArg];
}>;

/** The session a command was given, from a Sessions row or a ref (a row without one: none). */
export function sessionOf(arg: SessionArg | undefined): SessionRef | undefined {
  const ref = arg && 'kind' in arg ? arg.ref : arg;
  return ref && { context: ref.context, namespace: ref.namespace, session: ref.session };
}
