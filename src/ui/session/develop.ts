// Develop This Service (and Take Over) in the editor: the use case is src/session/develop.ts; here
// it is answered and shown. Its questions are dialogs (the plan on a production-looking place, a
// proposed sync mapping, many deletions in the copy); the proposal and the start run under
// progress, the start with Cancel; this window's state of the session follows it (ActiveSessions);
// the copy's sync, once started, is kept by the sync commands until the session ends here.
import * as vscode from 'vscode';
import type { Clusters } from '../../cluster/api';
import type { Logger } from '../../core/logger';
import { StartStages } from '../../core/session/start-stages';
import { develop, type DevelopHost, type DevelopPhase, type DevelopRequest } from '../../session/develop';
import type { SessionsAt } from '../../session/sessions-at';
import type { StartResult } from '../../session/sessions';
import type { ActiveSessions } from '../../sessionview/active';
import type { SessionRef } from '../../sessionview/refs';
import type { SyncCommands } from '../sync/commands';
import { askMapping, confirmDeletes } from '../sync/questions';
import { readConfig, toAbortSignal } from '../vscode-utils';
import { confirmPlan } from './production';

export interface EditorDevelopDeps {
  clusters: Clusters;
  sessionsAt: SessionsAt;
  logger: Logger;
  active: ActiveSessions;
  /** Hot sync: the workspace folder, and where a started sync is kept. Without it, copies are not synced. */
  sync?: Pick<SyncCommands, 'folder' | 'synced' | 'sinks' | 'keep' | 'onDidSave'>;
  /** The session was stopped or collected elsewhere. */
  lost: (ref: SessionRef) => void;
}

/** What the command adds to the workspace's settings: Develop This Service with a Data Branch asks for one. */
export interface DevelopOptions {
  data?: DevelopRequest['data'];
}

/** Starts `service` in the session `ref` names; undefined when the person cancelled before anything was created. */
export async function developInEditor(
  deps: EditorDevelopDeps,
  ref: SessionRef,
  service: string,
  signal: AbortSignal,
  opts: DevelopOptions = {},
): Promise<StartResult | undefined> {
  const { sync, active } = deps;
  const folder = sync?.folder();
  const strategy = readConfig('routing.strategy');
  let stages: StartStages | undefined;
  const host: DevelopHost = {
    questions: {
      confirmPlan,
      confirmMapping: folder && ((s, proposal) => askMapping(folder, s, proposal)),
      confirmDeletes,
    },
    sessions: (extra) => deps.sessionsAt(ref, extra),
    phase: (phase, work) => withPhaseProgress(ref, service, phase, work, (s) => (stages = s)),
    onStartPhase: (p) => stages?.mark(p),
    starting: () => active.starting(ref, service),
    startFailed: () => active.startFailed(ref),
    live: (r) => active.live(ref, r.heartbeat, deps.lost),
    synced: (s) => !!sync?.synced(ref, s),
    sinks: sync?.sinks(ref, service),
    onDidSave: sync?.onDidSave,
  };
  const at = { conn: deps.clusters.connection(ref.context), namespace: ref.namespace, logger: deps.logger };
  const developing = await develop(
    at,
    {
      service,
      session: ref.session,
      strategy: strategy && strategy !== 'auto' ? strategy : undefined,
      workspace: folder?.uri.fsPath,
      ...(opts.data ? { data: opts.data } : {}),
    },
    host,
    signal,
  );
  if (developing?.sync) sync?.keep(ref, service, developing.sync);
  return developing?.started;
}

/**
 * Looking at the service shows in the status bar; the start is a notification with Cancel, its
 * stages (checks, copy, route) with their times, and the latest step.
 */
async function withPhaseProgress<T>(
  ref: SessionRef,
  service: string,
  phase: DevelopPhase,
  work: (report: (m: string) => void, signal: AbortSignal) => Promise<T>,
  onStages: (s: StartStages) => void,
): Promise<T> {
  if (phase === 'propose') {
    return await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: `Devlane: looking at ${service}'s working directory` },
      (_p, token) => work(() => {}, toAbortSignal(token)),
    );
  }
  return await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: `Starting session ${ref.session} on ${service}`,
      cancellable: true,
    },
    async (p, token) => {
      const stages = new StartStages(() => performance.now());
      onStages(stages);
      const show = () => p.report({ message: stages.message() });
      const tick = setInterval(show, 1_000);
      show();
      try {
        return await work((message) => {
          stages.report(message);
          show();
        }, toAbortSignal(token));
      } finally {
        clearInterval(tick);
      }
    },
  );
}
