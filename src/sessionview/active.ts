// The sessions this window takes part in: the ones it started, resumed or joined. Each owns its
// Lease heartbeat and whatever else lives only as long as the session here (the routed-URL proxy),
// so forgetting a session releases all of it. The status bar shows the most recent one.
import { Emitter } from '../core/events';
import { Disposable, DisposableStore, type IDisposable } from '../core/lifecycle';
import { type SessionRef, sessionKey } from './refs';

export interface ActiveSession {
  readonly ref: SessionRef;
  /** starting: a start is under way; live: this window renews a Lease in it; ending: stop or leave is under way. */
  phase: 'starting' | 'live' | 'ending';
  /** The service being started (starting), for the status bar. */
  starting?: string;
  /** The local URL of the routed-request proxy, once opened, and the Service it sends to. */
  proxyUrl?: string;
  proxyService?: string;
  /** This window renews a Lease in the session (set once it went live here). */
  joined: boolean;
  readonly owned: DisposableStore;
}

export class ActiveSessions extends Disposable {
  private readonly entries = new Map<string, ActiveSession>();
  private readonly _onDidChange = this._register(new Emitter<void>());
  readonly onDidChange = this._onDidChange.event;

  constructor() {
    super();
    this._register({ dispose: () => this.clear() });
  }

  list(): ActiveSession[] {
    return [...this.entries.values()];
  }

  get(ref: SessionRef): ActiveSession | undefined {
    return this.entries.get(sessionKey(ref));
  }

  /** The one the status bar shows: the most recently started, joined or changed. */
  current(): ActiveSession | undefined {
    return [...this.entries.values()].pop();
  }

  /** A start (or takeover) is under way; nothing to own yet. */
  starting(ref: SessionRef, service: string): ActiveSession {
    const e = this.upsert(ref);
    if (e.phase !== 'live') e.phase = 'starting';
    e.starting = service;
    this._onDidChange.fire();
    return e;
  }

  /** This window is in the session now and renews `heartbeat` (which replaces any earlier one). */
  live(
    ref: SessionRef,
    heartbeat: IDisposable & { onDidLose(l: (e: Error) => void): IDisposable },
    onLost?: (ref: SessionRef) => void,
  ): ActiveSession {
    const e = this.upsert(ref);
    e.phase = 'live';
    e.joined = true;
    e.starting = undefined;
    e.owned.add(heartbeat);
    e.owned.add(
      heartbeat.onDidLose(() => {
        this.forget(ref);
        onLost?.(ref);
      }),
    );
    this._onDidChange.fire();
    return e;
  }

  /** A start failed or was cancelled: back to what was there before. */
  startFailed(ref: SessionRef): void {
    const e = this.get(ref);
    if (!e) return;
    if (!e.joined) this.forget(ref);
    else {
      e.phase = 'live';
      e.starting = undefined;
      this._onDidChange.fire();
    }
  }

  ending(ref: SessionRef): void {
    const e = this.get(ref);
    if (!e) return;
    e.phase = 'ending';
    this._onDidChange.fire();
  }

  /** Ties `d` to the session: it is disposed when the session is forgotten here. */
  own<T extends IDisposable>(ref: SessionRef, d: T): T {
    const e = this.get(ref);
    if (!e) {
      d.dispose();
      return d;
    }
    return e.owned.add(d);
  }

  setProxyUrl(ref: SessionRef, url: string | undefined, service?: string): void {
    const e = this.get(ref);
    if (!e) return;
    e.proxyUrl = url;
    e.proxyService = url ? service : undefined;
    this._onDidChange.fire();
  }

  /** Stopped, left or lost: releases the heartbeat, the proxy and everything else it owned. */
  forget(ref: SessionRef): void {
    const key = sessionKey(ref);
    const e = this.entries.get(key);
    if (!e) return;
    this.entries.delete(key);
    e.owned.dispose();
    this._onDidChange.fire();
  }

  private clear(): void {
    for (const e of this.entries.values()) e.owned.dispose();
    this.entries.clear();
  }

  private upsert(ref: SessionRef): ActiveSession {
    const key = sessionKey(ref);
    let e = this.entries.get(key);
    if (e) this.entries.delete(key); // re-inserted last: the most recent is current
    e ??= { ref, phase: 'starting', joined: false, owned: new DisposableStore() };
    this.entries.set(key, e);
    return e;
  }
}
