// One coordination.k8s.io Lease per participant, renewed every few seconds. A participant whose
// Lease has not been renewed for leaseDurationSeconds is gone (editor closed, laptop asleep); any
// Devlane instance may then give back what it took over.
import type { ObjectApi } from '../cluster/api';
import { apiTypes } from '../core/api-types';
import { ClusterError } from '../core/errors';
import { Emitter } from '../core/events';
import { Disposable, toDisposable } from '../core/lifecycle';
import type { Logger } from '../core/logger';
import type { KubeObject } from '../core/resources';
import { ownerReference, sessionLabels } from '../core/session/dev-workload';
import { leaseName } from '../core/session/names';
import { labels } from '../core/session/route-contract';

export const leaseDurationSeconds = 30;
export const renewEveryMs = 5_000;

export interface LeaseObject extends KubeObject {
  spec?: { holderIdentity?: string; leaseDurationSeconds?: number; acquireTime?: string; renewTime?: string };
}

/** MicroTime: RFC 3339 with microseconds, as the API server expects for Lease times. */
export const microTime = (d: Date) => d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

/** The participant's Lease among a session's: by name, else (a name made by an older Devlane) by holder. */
export function findLease<T extends LeaseObject>(
  leases: Iterable<T>,
  session: string,
  participant: string,
): T | undefined {
  const name = leaseName(session, participant);
  let byHolder: T | undefined;
  for (const l of leases) {
    if (l.metadata.name === name) return l;
    if (l.metadata.labels?.[labels.session] === session && l.spec?.holderIdentity === participant) byHolder ??= l;
  }
  return byHolder;
}

/**
 * Expired by this machine's wall clock: only for a Lease this machine renews itself (its
 * renewTime comes from the same clock). Others' Leases are judged by lease-observer.ts.
 */
export function leaseExpired(lease: LeaseObject | undefined, now: Date, graceSeconds = 5): boolean {
  const renew = lease?.spec?.renewTime ?? lease?.spec?.acquireTime;
  if (!renew) return true;
  const duration = lease?.spec?.leaseDurationSeconds ?? leaseDurationSeconds;
  return Date.parse(renew) + (duration + graceSeconds) * 1000 < now.getTime();
}

export function leaseObject(
  namespace: string,
  session: string,
  participant: string,
  record: { name: string; uid: string },
  durationSeconds = leaseDurationSeconds,
): LeaseObject {
  const now = microTime(new Date());
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name: leaseName(session, participant),
      namespace,
      labels: sessionLabels(session, 'lease'),
      ownerReferences: [ownerReference(record)],
    },
    spec: { holderIdentity: participant, leaseDurationSeconds: durationSeconds, acquireTime: now, renewTime: now },
  };
}

/** Creates (or takes back) the participant's Lease and keeps renewing it until disposed. */
export class Heartbeat extends Disposable {
  private readonly _onDidLose = this._register(new Emitter<Error>());
  /** The Lease was deleted or cannot be renewed any more: the session was stopped or collected. */
  readonly onDidLose = this._onDidLose.event;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly controller = new AbortController();
  private failures = 0;

  constructor(
    private readonly api: ObjectApi,
    private readonly namespace: string,
    readonly name: string,
    private readonly logger: Logger,
    private readonly everyMs = renewEveryMs,
  ) {
    super();
    this._register(
      toDisposable(() => {
        this.controller.abort();
        if (this.timer) clearTimeout(this.timer);
      }),
    );
  }

  static async start(
    api: ObjectApi,
    lease: LeaseObject,
    logger: Logger,
    signal: AbortSignal,
    everyMs?: number,
  ): Promise<Heartbeat> {
    const ns = lease.metadata.namespace!;
    try {
      await api.create(apiTypes.lease, lease, { signal });
    } catch (err) {
      if (!(err instanceof ClusterError && err.kind === 'already-exists')) throw err;
    }
    const hb = new Heartbeat(api, ns, lease.metadata.name, logger, everyMs);
    await hb.renew();
    hb.schedule();
    return hb;
  }

  private schedule(): void {
    if (this.isDisposed) return;
    this.timer = setTimeout(() => void this.tick(), this.everyMs);
    this.timer.unref?.();
  }

  private async tick(): Promise<void> {
    try {
      await this.renew();
      this.failures = 0;
    } catch (err) {
      if (this.isDisposed) return;
      if (err instanceof ClusterError && err.kind === 'not-found') return this._onDidLose.fire(err);
      this.failures++;
      this.logger.warn(
        `renewing Lease ${this.namespace}/${this.name} failed (${this.failures}): ${(err as Error).message}`,
      );
    }
    this.schedule();
  }

  renew(): Promise<unknown> {
    // A merge patch of our own Lease: nobody else writes renewTime, so no precondition is needed.
    return this.api.patch(
      apiTypes.lease,
      this.namespace,
      this.name,
      { spec: { renewTime: microTime(new Date()) } },
      'merge',
      { signal: this.controller.signal },
    );
  }
}
