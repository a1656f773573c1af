// A live copy's sync as Devlane runs it, once its session is live (Develop this service, or Start
// Sync by hand): the first sync, then every change (src/sync/service-sync.ts); its progress
// reported as the activity board's stats; and, while it runs, the copy's output followed for
// trouble (src/sync/copy-trouble-watch.ts). A failed start is reported, not thrown.
import type { ClusterConnection } from '../cluster/api';
import type { Event } from '../core/events';
import { DisposableStore, type IDisposable } from '../core/lifecycle';
import type { Logger } from '../core/logger';
import type { CopyTrouble, SyncMappingPaths, TroubleSource } from '../core/sync/copy-trouble';
import type { ConfirmDeletes } from '../core/sync/deletes';
import type { ServiceSyncStats } from '../sessionview/activity';
import { CopyTroubleWatch } from './copy-trouble-watch';
import { type ServiceSyncHandle, type ServiceSyncRequest, startServiceSync } from './service-sync';
import type { BuildStatus, SyncStatus } from './syncer';

export interface CopySyncRequest {
  conn: ClusterConnection;
  namespace: string;
  session: string;
  service: string;
  /** The workspace folder holding .vscode/devlane.json (absolute). */
  workspace: string;
  logger: Logger;
  /** Saved documents (the editor's), synced at once. */
  onDidSave?: Event<string>;
  /** Asked before the first sync deletes many paths in the container; without it they are kept. */
  confirmDeletes?: ConfirmDeletes;
}

/** Where a copy's sync reports. Each is optional: the CLI prints only failures and notes. */
export interface CopySyncSinks {
  /** Every change of the sync's state (the first right after the first sync), and a failed start (state 'error'). */
  status?(stats: ServiceSyncStats): void;
  /** The sync did not start (not called when it was ended meanwhile). */
  failed?(err: Error): void;
  /**
   * The copy's program exited by itself (its trouble), or started again (undefined); or, for a
   * build mapping, its build failed (the trouble) or succeeded (undefined). Without it the output is not followed.
   */
  trouble?(trouble: CopyTrouble | undefined, source: TroubleSource): void;
}

export interface CopySync extends IDisposable {
  /** The running sync once the first one landed; undefined when it failed (reported to `failed`) or was ended first. */
  readonly ready: Promise<ServiceSyncHandle | undefined>;
}

/** What talks to the cluster; tests replace it. */
export interface CopySyncParts {
  startSync: (req: ServiceSyncRequest, signal: AbortSignal) => Promise<ServiceSyncHandle>;
  watchTrouble: (
    conn: ClusterConnection,
    target: { namespace: string; session: string; service: string; mapping: SyncMappingPaths },
    onChange: (trouble: CopyTrouble | undefined) => void,
  ) => IDisposable;
}

const defaultParts: CopySyncParts = {
  startSync: startServiceSync,
  watchTrouble: (conn, target, onChange) => {
    const watch = new CopyTroubleWatch(conn, target);
    watch.onDidChange(onChange);
    return watch;
  },
};

/** Starts syncing the copy; disposing the result ends it, the first sync included. `signal` ends the first sync too. */
export function syncCopy(
  req: CopySyncRequest,
  sinks: CopySyncSinks,
  signal: AbortSignal,
  parts: Partial<CopySyncParts> = {},
): CopySync {
  const { startSync, watchTrouble } = { ...defaultParts, ...parts };
  const store = new DisposableStore();
  const controller = new AbortController();
  store.add({ dispose: () => controller.abort() });
  const first = AbortSignal.any([signal, controller.signal]);
  const ready = (async (): Promise<ServiceSyncHandle | undefined> => {
    try {
      const handle = await startSync(
        {
          api: req.conn.objects,
          namespace: req.namespace,
          session: req.session,
          service: req.service,
          workspaceFolder: req.workspace,
          logger: req.logger,
          onDidSave: req.onDidSave,
          confirmDeletes: req.confirmDeletes,
        },
        first,
      );
      if (store.isDisposed) {
        handle.dispose();
        return undefined;
      }
      store.add(handle);
      if (sinks.status) {
        const report = (s: SyncStatus) => sinks.status?.(syncStats(req.service, handle, s));
        store.add(handle.syncer.onDidChangeStatus(report));
        report(handle.syncer.current);
      }
      // The copy's output is followed as long as it is synced (ending the sync ends both).
      const onTrouble = sinks.trouble?.bind(sinks);
      if (onTrouble) {
        // Disposed in reverse: the watch ends first, then its trouble is cleared.
        store.add({ dispose: () => onTrouble(undefined, 'program') });
        if (handle.mapping.action === 'build') {
          store.add({ dispose: () => onTrouble(undefined, 'build') });
          let seen: number | undefined;
          const onBuild = (s: SyncStatus) => {
            if (!s.build || s.build.at === seen) return;
            seen = s.build.at;
            onTrouble(s.build.ok ? undefined : buildTrouble(s.build), 'build');
          };
          store.add(handle.syncer.onDidChangeStatus(onBuild));
          onBuild(handle.syncer.current);
        }
        store.add(
          watchTrouble(
            req.conn,
            {
              namespace: req.namespace,
              session: req.session,
              service: req.service,
              mapping: { localRoot: handle.localRoot, remotePath: handle.mapping.remotePath },
            },
            (t) => onTrouble(t, 'program'),
          ),
        );
      }
      return handle;
    } catch (e) {
      if (first.aborted) return undefined;
      const err = e instanceof Error ? e : new Error(String(e));
      sinks.status?.({
        service: req.service,
        state: 'error',
        localRoot: req.workspace,
        remotePath: '',
        pending: 0,
        carried: 0,
        failures: [{ at: Date.now(), message: err.message }],
        message: err.message,
      });
      sinks.failed?.(err);
      return undefined;
    }
  })();
  return { ready, dispose: () => store.dispose() };
}

/** What the activity board shows of a sync. */
function syncStats(service: string, handle: ServiceSyncHandle, s: SyncStatus): ServiceSyncStats {
  return {
    service,
    state: s.state,
    localRoot: handle.localRoot,
    remotePath: handle.mapping.remotePath,
    lastSyncAt: s.lastSyncAt,
    lastDurationMs: s.lastDurationMs,
    pending: s.pending,
    carried: s.carried,
    failures: s.failures.map((f) => ({ at: f.at, message: f.message })),
    message: s.message,
    notes: s.notes,
  };
}

/** A failed build as the copy's trouble: the first problem (or the output's first line) as its error. */
function buildTrouble(b: BuildStatus): CopyTrouble {
  const lines = (b.message ?? '').split('\n');
  return {
    exitCode: b.code,
    error: b.problems[0]?.message.split('\n')[0] ?? lines[1]?.trim() ?? lines[0],
    lastLines: lines,
    problems: b.problems,
  };
}
