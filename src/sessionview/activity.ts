// What hot sync and debugging report about a session, for the status bar and the session panel.
// src/ui (which runs the syncs and the debug sessions) reports here per service; the status bar
// reads the session-wide summary (`sync`, `debug`), the panel the per-service detail.
import { Emitter } from '../core/events';
import { Disposable } from '../core/lifecycle';
import { type SessionRef, sessionKey } from './refs';

export type SyncState = { state: 'idle' } | { state: 'syncing'; files?: number } | { state: 'failed'; message: string };
export type DebugState = 'detached' | 'attached' | 'paused';

/** One service's hot sync, as the panel shows it (mirrors src/sync's SyncStatus, as plain data). */
export interface ServiceSyncStats {
  service: string;
  state: 'connecting' | 'initial-sync' | 'syncing' | 'idle' | 'reconnecting' | 'error' | 'stopped';
  localRoot: string;
  remotePath: string;
  /** Epoch ms of the last batch that landed, and how long it took. */
  lastSyncAt?: number;
  lastDurationMs?: number;
  pending: number;
  /** Files and deletes carried since the sync started. */
  carried: number;
  /** Recent failures, newest last. */
  failures: { at: number; message: string }[];
  message?: string;
  /** What the sync leaves alone and why (mounted volumes, deletions not confirmed). */
  notes?: string[];
}

/** One service's debugger. */
export interface ServiceDebugStats {
  service: string;
  state: DebugState;
  runtime?: string;
  /** Where it stopped, when paused ("app.py:42"). */
  where?: string;
}

/** One service's copy whose program exited by itself and waits for the next save, or whose build failed. */
export interface ServiceTrouble {
  service: string;
  exitCode: number;
  /** The build failed (the previous program keeps running), rather than the program exiting. */
  build?: boolean;
  /** The error line the program printed last, if any. */
  error?: string;
}

/** Read side, what the status bar and the panel need. */
export interface SessionActivity {
  sync(ref: SessionRef): SyncState;
  debug(ref: SessionRef): DebugState;
  troubles(ref: SessionRef): ServiceTrouble[];
  syncStats(ref: SessionRef): ServiceSyncStats[];
  debugStats(ref: SessionRef): ServiceDebugStats[];
  readonly onDidChange: (listener: () => void) => { dispose(): void };
}

/** Write side, for the sync and debug glue in src/ui. */
export interface ActivityReporter {
  reportSync(ref: SessionRef, stats: ServiceSyncStats): void;
  reportDebug(ref: SessionRef, stats: ServiceDebugStats): void;
  /** The service's copy exited by itself (a trouble), or was started again (undefined). */
  reportTrouble(ref: SessionRef, service: string, trouble: ServiceTrouble | undefined): void;
  /** The service's sync or debugger ended: it no longer counts. */
  forgetService(ref: SessionRef, service: string, what: 'sync' | 'debug'): void;
}

/** The session-wide sync state: failed if any service failed, syncing if any is busy, else idle. */
export function summarizeSync(stats: ServiceSyncStats[]): SyncState {
  const failed = stats.find(
    (s) =>
      s.state === 'error' ||
      (s.state !== 'stopped' && s.failures.length > 0 && s.failures[s.failures.length - 1].at > (s.lastSyncAt ?? 0)),
  );
  if (failed)
    return {
      state: 'failed',
      message: `${failed.service}: ${failed.message ?? failed.failures[failed.failures.length - 1]?.message ?? 'failed'}`,
    };
  const busy = stats.filter(
    (s) =>
      s.state === 'connecting' || s.state === 'initial-sync' || s.state === 'syncing' || s.state === 'reconnecting',
  );
  if (busy.length) return { state: 'syncing', files: busy.reduce((n, s) => n + s.pending, 0) };
  return { state: 'idle' };
}

/** The session-wide debug state: paused if any debugger is paused, attached if any is attached. */
export function summarizeDebug(stats: ServiceDebugStats[]): DebugState {
  if (stats.some((s) => s.state === 'paused')) return 'paused';
  return stats.some((s) => s.state === 'attached') ? 'attached' : 'detached';
}

export class ActivityBoard extends Disposable implements SessionActivity, ActivityReporter {
  private readonly syncs = new Map<string, Map<string, ServiceSyncStats>>();
  private readonly debugs = new Map<string, Map<string, ServiceDebugStats>>();
  private readonly troubleSlots = new Map<string, Map<string, ServiceTrouble>>();
  private readonly _onDidChange = this._register(new Emitter<void>());
  readonly onDidChange = this._onDidChange.event;

  sync(ref: SessionRef): SyncState {
    return summarizeSync(this.syncStats(ref));
  }

  debug(ref: SessionRef): DebugState {
    return summarizeDebug(this.debugStats(ref));
  }

  syncStats(ref: SessionRef): ServiceSyncStats[] {
    return [...(this.syncs.get(sessionKey(ref))?.values() ?? [])];
  }

  debugStats(ref: SessionRef): ServiceDebugStats[] {
    return [...(this.debugs.get(sessionKey(ref))?.values() ?? [])];
  }

  troubles(ref: SessionRef): ServiceTrouble[] {
    return [...(this.troubleSlots.get(sessionKey(ref))?.values() ?? [])];
  }

  reportTrouble(ref: SessionRef, service: string, trouble: ServiceTrouble | undefined): void {
    if (trouble) slot(this.troubleSlots, sessionKey(ref)).set(service, trouble);
    else if (!this.troubleSlots.get(sessionKey(ref))?.delete(service)) return;
    this._onDidChange.fire();
  }

  reportSync(ref: SessionRef, stats: ServiceSyncStats): void {
    slot(this.syncs, sessionKey(ref)).set(stats.service, stats);
    this._onDidChange.fire();
  }

  reportDebug(ref: SessionRef, stats: ServiceDebugStats): void {
    slot(this.debugs, sessionKey(ref)).set(stats.service, stats);
    this._onDidChange.fire();
  }

  forgetService(ref: SessionRef, service: string, what: 'sync' | 'debug'): void {
    (what === 'sync' ? this.syncs : this.debugs).get(sessionKey(ref))?.delete(service);
    if (what === 'sync') this.troubleSlots.get(sessionKey(ref))?.delete(service);
    this._onDidChange.fire();
  }

  forget(ref: SessionRef): void {
    this.syncs.delete(sessionKey(ref));
    this.debugs.delete(sessionKey(ref));
    this.troubleSlots.delete(sessionKey(ref));
    this._onDidChange.fire();
  }
}

function slot<T>(m: Map<string, Map<string, T>>, key: string): Map<string, T> {
  let s = m.get(key);
  if (!s) m.set(key, (s = new Map()));
  return s;
}
