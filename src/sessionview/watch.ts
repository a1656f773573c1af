// Keeps the sessions Devlane shows current: in the namespace it follows (where it works), and in
// every namespace where this window is in a session, so a session started or joined elsewhere is
// still listed, shown in the status bar and panel, and controllable. For each such place it watches
// the record ConfigMaps, the Leases and the Deployments (for the copies' readiness), and fires when
// what the Sessions view, the status bar or the Clusters view show has changed. Leases expire without an
// event, so it also looks again every few seconds while any session exists; each look is also an
// observation of others' Leases, which is how their expiry is judged (session/lease-observer.ts).
import type { Clusters, IdentityApi, InformerLease } from '../cluster/api';
import { Emitter } from '../core/events';
import { Disposable, toDisposable } from '../core/lifecycle';
import type { ObjectRef } from '../core/resources';
import type { Where } from '../core/where';
import type { SessionDecorations } from '../explorer/model';
import { type LeaseObserver, leaseWhere, processLeases } from '../session/lease-observer';
import { leaseName, recordName } from '../core/session/names';
import { participantId } from '../core/session/participant';
import { readRecord, type SessionState } from '../core/session/record';
import type { ConfigMapObject } from '../core/resources';
import type { SessionRef } from './refs';
import {
  holderText,
  leaseHealth,
  type SessionView,
  sessionViews,
  type UnreadableRecord,
  unreadableRecords,
} from './sessions';

export type WatchState =
  | { phase: 'none' }
  | { phase: 'starting' | 'synced'; where: Where }
  | { phase: 'error'; where: Where; message: string };

const placeKey = (w: Where) => JSON.stringify([w.context, w.namespace]);
const samePlace = (a: Where | undefined, b: Where | undefined) =>
  a?.context === b?.context && a?.namespace === b?.namespace;

/** One namespace's watches, and what they make of it. */
class PlaceWatch extends Disposable {
  readonly where: Where;
  me = '';
  views: SessionView[] = [];
  unreadable: UnreadableRecord[] = [];
  informers:
    { records: InformerLease<never>; leases: InformerLease<never>; deployments: InformerLease<never> } | undefined;

  constructor(clusters: Clusters, where: Where, instance: string, changed: (force: boolean) => void) {
    super();
    this.where = { context: where.context, namespace: where.namespace };
    try {
      const conn = clusters.connection(where.context);
      this.learnWhoIAm(conn, instance, changed);
      const watch = (kind: 'ConfigMap' | 'Lease' | 'Deployment') => {
        const lease = this._register(conn.watch(kind, where.namespace)) as unknown as InformerLease<never>;
        this._register(lease.onDidChange(() => changed(false)));
        this._register(lease.onDidChangeStatus(() => changed(true)));
        return lease;
      };
      this.informers = { records: watch('ConfigMap'), leases: watch('Lease'), deployments: watch('Deployment') };
    } catch {
      this.informers = undefined;
    }
  }

  /** Until the API server has said who the user is, no participant is "me" (and none is collected as someone else: they are alive). */
  private learnWhoIAm(conn: IdentityApi, instance: string, changed: (force: boolean) => void): void {
    const controller = new AbortController();
    this._register(toDisposable(() => controller.abort()));
    conn.whoAmI(controller.signal).then(
      (who) => {
        if (controller.signal.aborted) return;
        this.me = participantId(who.username, instance);
        changed(true);
      },
      () => undefined, // the watches report a cluster that cannot be reached; commands ask again
    );
  }

  get state(): WatchState {
    const inf = this.informers;
    if (!inf) return { phase: 'error', where: this.where, message: `Context "${this.where.context}" cannot be used` };
    const failed = [inf.records, inf.leases].find((l) => l.status.phase === 'error');
    if (failed)
      return { phase: 'error', where: this.where, message: failed.status.error?.message ?? 'The watch failed' };
    return {
      phase: inf.records.status.hasSynced && inf.leases.status.hasSynced ? 'synced' : 'starting',
      where: this.where,
    };
  }

  recompute(now: Date, leases: LeaseObserver): void {
    const inf = this.informers;
    const where = this.where;
    this.views = inf
      ? sessionViews({
          ...where,
          me: this.me,
          records: inf.records.values(),
          leases: inf.leases.values(),
          deployments: inf.deployments.values(),
          now,
          expired: (name, lease) => leases.expired(leaseWhere(where.context, where.namespace), name, lease),
        })
      : [];
    this.unreadable = inf ? unreadableRecords({ ...where, records: inf.records.values() }) : [];
  }

  myLease(ref: SessionRef, now: Date): 'ok' | 'late' | 'lost' | undefined {
    if (!this.informers?.leases.status.hasSynced) return undefined;
    return leaseHealth(this.informers.leases.get(leaseName(ref.session, this.me)), now);
  }

  record(ref: SessionRef): SessionState | undefined {
    const cm = (
      this.informers?.records as unknown as { get(name: string): ConfigMapObject | undefined } | undefined
    )?.get(recordName(ref.session));
    try {
      return cm ? readRecord(cm) : undefined;
    } catch {
      return undefined;
    }
  }
}

export class SessionsWatch extends Disposable implements SessionDecorations {
  private readonly _onDidChange = this._register(new Emitter<void>());
  readonly onDidChange = this._onDidChange.event;
  /** The followed place first, then the others in the order they were added. */
  private readonly places = new Map<string, PlaceWatch>();
  private followed: Where | undefined;
  private mine: readonly Where[] = [];
  private views: SessionView[] = [];
  private unreadable: UnreadableRecord[] = [];
  private fingerprint = '';
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(
    private readonly clusters: Clusters,
    /** This window's instance id: "me" is the user the cluster authenticates, in this window. */
    private readonly instance: string,
    private readonly now: () => Date = () => new Date(),
    tickMs = 5_000,
    /** What this process saw of the Leases; shared with the collections it triggers. */
    private readonly leases: LeaseObserver = processLeases,
  ) {
    super();
    this.timer = setInterval(() => this.views.length && this.recompute(), tickMs);
    this.timer.unref?.();
    this._register(
      toDisposable(() => {
        clearInterval(this.timer);
        for (const p of this.places.values()) p.dispose();
        this.places.clear();
      }),
    );
  }

  /**
   * Watches `where` (the namespace Devlane works in; undefined: none) and the places of the
   * sessions this window is in (`mine`; not given: the ones given last), from now on. Cheap when
   * nothing changed; a place no longer asked for stops being watched.
   */
  follow(where: Where | undefined, mine: readonly Where[] = this.mine): void {
    this.mine = mine;
    const wanted = new Map<string, Where>();
    for (const w of where ? [where, ...mine] : mine) if (!wanted.has(placeKey(w))) wanted.set(placeKey(w), w);
    const sameOrder = [...wanted.keys()].join('\n') === [...this.places.keys()].join('\n');
    const healthy = [...this.places.values()].every((p) => p.informers);
    if (samePlace(where, this.followed) && sameOrder && (healthy || wanted.size === 0)) return;
    this.followed = where && { context: where.context, namespace: where.namespace };
    const kept = new Map<string, PlaceWatch>();
    for (const [key, w] of wanted) {
      let p = this.places.get(key);
      // A place whose context could not be used is tried again (the kubeconfig may have changed).
      if (p && !p.informers) {
        p.dispose();
        p = undefined;
      }
      this.places.delete(key);
      kept.set(key, p ?? new PlaceWatch(this.clusters, w, this.instance, (force) => this.recompute(force)));
    }
    for (const p of this.places.values()) p.dispose();
    this.places.clear();
    for (const [key, p] of kept) this.places.set(key, p);
    this.recompute(true);
  }

  /** The followed place's state: what the view says when it lists nothing. */
  get state(): WatchState {
    const p = this.followed && this.places.get(placeKey(this.followed));
    return p ? p.state : this.followed ? { phase: 'starting', where: this.followed } : { phase: 'none' };
  }

  /** Every watched place, the followed one first, with its state (the Sessions view groups by them). */
  placeStates(): { state: WatchState; followed: boolean }[] {
    return [...this.places.values()].map((p) => ({ state: p.state, followed: samePlace(p.where, this.followed) }));
  }

  /** The followed place's user as this window ("me"); empty until the API server said who it is. */
  get user(): string {
    return this.followed ? this.userAt(this.followed) : '';
  }

  /** The user as this window, in the cluster of `where`; empty when that place is not watched or not known yet. */
  userAt(where: Where): string {
    return this.place(where)?.me ?? '';
  }

  sessions(): readonly SessionView[] {
    return this.views;
  }

  /** Records in the watched namespaces that fail validation. */
  unreadableRecords(): readonly UnreadableRecord[] {
    return this.unreadable;
  }

  get(ref: SessionRef): SessionView | undefined {
    return this.views.find(
      (v) => v.context === ref.context && v.namespace === ref.namespace && v.session === ref.session,
    );
  }

  /** My Lease in a session I am in, as the status bar reports it; undefined when not watched here. */
  myLease(ref: SessionRef): 'ok' | 'late' | 'lost' | undefined {
    return this.place(ref)?.myLease(ref, this.now());
  }

  /** The session's record as the watch holds it (the panel shows its undo log); undefined when not watched here. */
  record(ref: SessionRef): SessionState | undefined {
    return this.place(ref)?.record(ref);
  }

  takenOverBy(service: ObjectRef): string | undefined {
    if (service.kind !== 'Service' || !this.place(service)) return undefined;
    for (const v of this.views) {
      if (v.context !== service.context || v.namespace !== service.namespace) continue;
      const text = holderText(v, service.name);
      if (text) return text;
    }
    return undefined;
  }

  private place(where: { context?: string; namespace?: string }): PlaceWatch | undefined {
    return where.context && where.namespace
      ? this.places.get(placeKey({ context: where.context, namespace: where.namespace }))
      : undefined;
  }

  private recompute(force = false): void {
    const now = this.now();
    for (const p of this.places.values()) p.recompute(now, this.leases);
    this.views = [...this.places.values()].flatMap((p) => p.views);
    this.unreadable = [...this.places.values()].flatMap((p) => p.unreadable);
    const print = JSON.stringify([this.views, this.unreadable, this.placeStates()]);
    if (!force && print === this.fingerprint) return;
    this.fingerprint = print;
    this._onDidChange.fire();
  }
}
