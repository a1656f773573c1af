// Keeps the sessions of the current namespace current: watches the record ConfigMaps, the Leases
// and the Deployments (for the copies' readiness) of one namespace, and fires when what the
// Sessions view, the status bar or the Clusters view show has changed. Leases expire without an
// event, so it also looks again every few seconds while any session exists; each look is also an
// observation of others' Leases, which is how their expiry is judged (session/lease-observer.ts).
import type { Clusters, IdentityApi, InformerLease } from '../cluster/api';
import { Emitter } from '../core/events';
import { Disposable, DisposableStore, toDisposable } from '../core/lifecycle';
import type { ObjectRef } from '../core/resources';
import type { Where } from '../core/where';
import type { SessionDecorations } from '../explorer/model';
import { type LeaseObserver, leaseWhere, processLeases } from '../session/lease-observer';
import { leaseName, recordName } from '../core/session/names';
import { participantId } from '../core/session/participant';
import { readRecord, type SessionState } from '../core/session/record';
import type { ConfigMapObject } from '../core/resources';
import type { SessionRef } from './refs';
import { holderText, leaseHealth, type SessionView, sessionViews, type UnreadableRecord, unreadableRecords } from './sessions';

export type WatchState = { phase: 'none' } | { phase: 'starting' | 'synced'; where: Where } | { phase: 'error'; where: Where; message: string };

export class SessionsWatch extends Disposable implements SessionDecorations {
  private readonly _onDidChange = this._register(new Emitter<void>());
  readonly onDidChange = this._onDidChange.event;
  private store = new DisposableStore();
  private views: SessionView[] = [];
  private unreadable: UnreadableRecord[] = [];
  private fingerprint = '';
  private me = '';
  private where: Where | undefined;
  private informers: { records: InformerLease<never>; leases: InformerLease<never>; deployments: InformerLease<never> } | undefined;
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
    this._register(toDisposable(() => {
      clearInterval(this.timer);
      this.store.dispose();
    }));
  }

  /** Watches this namespace from now on (undefined: none). Cheap when nothing changed. */
  follow(where: Where | undefined): void {
    if (where?.context === this.where?.context && where?.namespace === this.where?.namespace && (!where || this.informers)) return;
    this.store.dispose();
    this.store = new DisposableStore();
    this.informers = undefined;
    this.where = where;
    if (where) {
      try {
        const conn = this.clusters.connection(where.context);
        this.me = '';
        this.learnWhoIAm(conn, where);
        const watch = (kind: 'ConfigMap' | 'Lease' | 'Deployment') => {
          const lease = this.store.add(conn.watch(kind, where.namespace)) as unknown as InformerLease<never>;
          this.store.add(lease.onDidChange(() => this.recompute()));
          this.store.add(lease.onDidChangeStatus(() => this.recompute(true)));
          return lease;
        };
        this.informers = { records: watch('ConfigMap'), leases: watch('Lease'), deployments: watch('Deployment') };
      } catch {
        this.informers = undefined;
      }
    }
    this.recompute(true);
  }

  /** Until the API server has said who the user is, no participant is "me" (and none is collected as someone else: they are alive). */
  private learnWhoIAm(conn: IdentityApi, where: Where): void {
    const controller = new AbortController();
    this.store.add(toDisposable(() => controller.abort()));
    conn.whoAmI(controller.signal).then(
      (who) => {
        if (this.where !== where) return;
        this.me = participantId(who.username, this.instance);
        this.recompute(true);
      },
      () => undefined, // the watches report a cluster that cannot be reached; commands ask again
    );
  }

  get state(): WatchState {
    if (!this.where) return { phase: 'none' };
    const inf = this.informers;
    if (!inf) return { phase: 'error', where: this.where, message: `Context "${this.where.context}" cannot be used` };
    const failed = [inf.records, inf.leases].find((l) => l.status.phase === 'error');
    if (failed) return { phase: 'error', where: this.where, message: failed.status.error?.message ?? 'The watch failed' };
    return { phase: inf.records.status.hasSynced && inf.leases.status.hasSynced ? 'synced' : 'starting', where: this.where };
  }

  get user(): string {
    return this.me;
  }

  sessions(): readonly SessionView[] {
    return this.views;
  }

  /** Records in the namespace that fail validation. */
  unreadableRecords(): readonly UnreadableRecord[] {
    return this.unreadable;
  }

  get(ref: SessionRef): SessionView | undefined {
    return this.views.find((v) => v.context === ref.context && v.namespace === ref.namespace && v.session === ref.session);
  }

  /** My Lease in a session I am in, as the status bar reports it; undefined when not watched here. */
  myLease(ref: SessionRef): 'ok' | 'late' | 'lost' | undefined {
    if (!this.informers || ref.context !== this.where?.context || ref.namespace !== this.where.namespace || !this.informers.leases.status.hasSynced) return undefined;
    return leaseHealth(this.informers.leases.get(leaseName(ref.session, this.me)), this.now());
  }

  /** The session's record as the watch holds it (the panel shows its undo log); undefined when not watched here. */
  record(ref: SessionRef): SessionState | undefined {
    if (!this.informers || ref.context !== this.where?.context || ref.namespace !== this.where.namespace) return undefined;
    const cm = (this.informers.records as unknown as { get(name: string): ConfigMapObject | undefined }).get(recordName(ref.session));
    try {
      return cm ? readRecord(cm) : undefined;
    } catch {
      return undefined;
    }
  }

  takenOverBy(service: ObjectRef): string | undefined {
    if (service.kind !== 'Service' || service.context !== this.where?.context || service.namespace !== this.where.namespace) return undefined;
    for (const v of this.views) {
      const text = holderText(v, service.name);
      if (text) return text;
    }
    return undefined;
  }

  private recompute(force = false): void {
    const inf = this.informers;
    const where = this.where;
    this.views = inf && where ? sessionViews({ ...where, me: this.me, records: inf.records.values(), leases: inf.leases.values(), deployments: inf.deployments.values(), now: this.now(), expired: (name, lease) => this.leases.expired(leaseWhere(where.context, where.namespace), name, lease) }) : [];
    this.unreadable = inf && where ? unreadableRecords({ ...where, records: inf.records.values() }) : [];
    const print = JSON.stringify([this.views, this.unreadable]);
    if (!force && print === this.fingerprint) return;
    this.fingerprint = print;
    this._onDidChange.fire();
  }
}
