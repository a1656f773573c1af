// What hot sync and debugging report about a session, for the status bar (and later the panel).
// src/sync and src/debug report through `ActivityBoard.report*`; until they do, every session
// reads idle / detached.
import { Emitter } from '../core/events';
import { Disposable } from '../core/lifecycle';
import { type SessionRef, sessionKey } from './refs';

export type SyncState = { state: 'idle' } | { state: 'syncing'; files?: number } | { state: 'failed'; message: string };
export type DebugState = 'detached' | 'attached' | 'paused';

/** Read side, what the status bar needs. */
export interface SessionActivity {
  sync(ref: SessionRef): SyncState;
  debug(ref: SessionRef): DebugState;
  readonly onDidChange: (listener: () => void) => { dispose(): void };
}

/** Write side, for src/sync and src/debug. */
export interface ActivityReporter {
  reportSync(ref: SessionRef, state: SyncState): void;
  reportDebug(ref: SessionRef, state: DebugState): void;
}

export class ActivityBoard extends Disposable implements SessionActivity, ActivityReporter {
  private readonly syncs = new Map<string, SyncState>();
  private readonly debugs = new Map<string, DebugState>();
  private readonly _onDidChange = this._register(new Emitter<void>());
  readonly onDidChange = this._onDidChange.event;

  sync(ref: SessionRef): SyncState {
    return this.syncs.get(sessionKey(ref)) ?? { state: 'idle' };
  }

  debug(ref: SessionRef): DebugState {
    return this.debugs.get(sessionKey(ref)) ?? 'detached';
  }

  reportSync(ref: SessionRef, state: SyncState): void {
    this.syncs.set(sessionKey(ref), state);
    this._onDidChange.fire();
  }

  reportDebug(ref: SessionRef, state: DebugState): void {
    this.debugs.set(sessionKey(ref), state);
    this._onDidChange.fire();
  }

  forget(ref: SessionRef): void {
    this.syncs.delete(sessionKey(ref));
    this.debugs.delete(sessionKey(ref));
    this._onDidChange.fire();
  }
}
