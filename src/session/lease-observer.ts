// Whether a participant's Lease expired, judged as client-go's leader election judges it: by
// renewals seen from here, on this machine's monotonic clock, never by comparing the renewTime
// another machine wrote with this machine's wall clock (with half a minute of skew between two
// laptops, every other editor would collect live sessions). A Lease is expired once its value
// (renewTime, holder, resourceVersion, uid) has not changed for its leaseDurationSeconds, counted
// from when this process first saw that value; a missing Lease, once it has been missing that long.
// So a process that has just started calls nothing expired until it has watched for a while.
import { leaseDurationSeconds, type LeaseObject } from './lease';

/** Slack on top of leaseDurationSeconds, for a renewal that is a little late. */
const graceMs = 5_000;

interface Seen {
  value: string;
  since: number;
}

export class LeaseObserver {
  private readonly seen = new Map<string, Seen>();

  constructor(private readonly monotonicMs: () => number = () => performance.now()) {}

  /**
   * Notes what the Lease `name` in `where` (a context and namespace: `ctx/ns`) holds now
   * (undefined: it does not exist) and says whether it has stood still for longer than its
   * duration, as seen from here.
   */
  expired(where: string, name: string, lease: LeaseObject | undefined): boolean {
    const key = `${where}/${name}`;
    const now = this.monotonicMs();
    const value = lease
      ? JSON.stringify([
          lease.metadata.uid,
          lease.metadata.resourceVersion,
          lease.spec?.holderIdentity,
          lease.spec?.renewTime ?? lease.spec?.acquireTime,
        ])
      : 'absent';
    let seen = this.seen.get(key);
    if (!seen || seen.value !== value) {
      seen = { value, since: now };
      this.seen.set(key, seen);
    }
    const duration = (lease?.spec?.leaseDurationSeconds ?? leaseDurationSeconds) * 1000;
    return now - seen.since > duration + graceMs;
  }

  /** Forgets the Leases of a namespace that no session refers to any more (stopped sessions, departed participants). */
  keepOnly(where: string, names: Iterable<string>): void {
    const keep = new Set([...names].map((n) => `${where}/${n}`));
    for (const key of this.seen.keys())
      if (key.startsWith(`${where}/`) && key.lastIndexOf('/') === where.length && !keep.has(key)) this.seen.delete(key);
  }
}

/** One per process: the Sessions view's watch and every collection in this process share what they saw. */
export const processLeases = new LeaseObserver();

/** How long a one-shot process (`devlane gc`) watches before a Lease of the default duration can be judged. */
export const observeBeforeJudgingMs = leaseDurationSeconds * 1000 + graceMs + 1_000;

/** The `where` of a Lease for the observer: the same namespace name in two clusters is two places. */
export const leaseWhere = (context: string, namespace: string) => `${context}/${namespace}`;
